/**
 * L2 media/audio: call-progress tones (US, ITU/EU, UK, DE plans), DTMF, a
 * streaming tone generator over Int16Array frames, the English prompt
 * catalogue and the `say` helpers that turn numbers, ordinals, durations,
 * times and dates into playlists of catalogue prompts. Pure; no I/O.
 */

export {
  isPromptName,
  PROMPT_CATALOGUE,
  PROMPT_NAMES,
  type PromptCategory,
  type PromptInfo,
  type PromptName,
  promptFile,
  promptInfo,
} from './prompts.js';
export {
  type CalendarDate,
  MAX_SAY_NUMBER,
  type Playlist,
  type SayDigitsOptions,
  type SayDurationOptions,
  type SayNumberOptions,
  type SayTimeOptions,
  type SayWaitOptions,
  sayCallerNumber,
  sayCallersAhead,
  sayDate,
  sayDigits,
  sayDuration,
  sayEstimatedWait,
  sayFor,
  sayMessageCount,
  sayNumber,
  sayOrdinal,
  sayPress,
  sayQueuePosition,
  sayTime,
  type TimeOfDay,
} from './say.js';
export {
  TONE_GENERATOR_DEFAULTS,
  ToneGenerator,
  type ToneGeneratorOptions,
  type ToneSampleRate,
} from './tone-generator.js';
export {
  DBM0_TO_DBFS,
  DTMF_DEFAULTS,
  DTMF_FREQUENCIES,
  type DtmfOptions,
  dbm0ToAmplitude,
  dtmfToneSpec,
  TONE_NAMES,
  TONE_PLANS,
  TONE_REGIONS,
  type ToneComponent,
  type ToneName,
  type TonePlan,
  type ToneRegion,
  type ToneSegment,
  type ToneSpec,
  toneSpec,
} from './tone-plan.js';
