/** The Emscripten module inside the `opusscript` package (libopus 1.4 compiled to WebAssembly). */
declare module 'opusscript/build/opusscript_native_wasm.js' {
  export interface OpusScriptHandler {
    _encode(inputPtr: number, samples: number, outputPtr: number, frameSize: number): number;
    _decode(inputPtr: number, bytes: number, outputPtr: number): number;
    _encoder_ctl(ctl: number, arg: number): number;
    _decoder_ctl(ctl: number, arg: number): number;
    delete(): void;
  }
  export interface OpusScriptNative {
    ready: Promise<unknown>;
    HEAPU8: Uint8Array;
    HEAPU16: Uint16Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    OpusScriptHandler: new (sampleRate: number, channels: number, application: number) => OpusScriptHandler;
  }
  const factory: () => OpusScriptNative;
  export default factory;
}
