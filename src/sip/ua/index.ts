/**
 * L6 sip/ua: digest authentication (server and client), the registrar and
 * location service, and the outbound registration client. The UserAgent,
 * invite sessions and B2BUA helpers join this barrel later.
 */

export {
  computeDigestResponse,
  computeHA1,
  DIGEST_ALGORITHMS,
  type DigestAlgorithm,
  type DigestAuthorization,
  type DigestChallenge,
  type DigestChallengeInit,
  type DigestHashName,
  type DigestQop,
  type DigestResponseInput,
  digestHash,
  digestHashOf,
  formatDigestAuthorization,
  formatDigestChallenge,
  formatNonceCount,
  isSessionAlgorithm,
  parseDigestAlgorithm,
  readDigestChallenge,
} from './digest.js';
export {
  type ChallengeOptions,
  createDigestAuthenticator,
  type DigestAuthenticator,
  type DigestAuthenticatorOptions,
  type DigestFailureReason,
  type DigestLookup,
  type DigestUserRecord,
  type DigestVerifyResult,
  type VerifyOptions,
} from './digest-authenticator.js';
export {
  type AuthorizeOptions,
  answerChallenge,
  authorizeRequest,
  createDigestClientState,
  DigestClientState,
  type DigestClientStateOptions,
  type DigestCredentials,
} from './digest-client.js';
export { type DigestClientFailure, DigestError } from './errors.js';
export {
  type Binding,
  type BindingChange,
  type BindingSource,
  type LocationStore,
  MemoryLocationStore,
  type MemoryLocationStoreOptions,
} from './location-store.js';
export {
  type IssuedNonce,
  type NonceCheck,
  type NonceCountResult,
  NonceCountStore,
  NonceManager,
} from './nonce.js';
export {
  aorKey,
  type BindingsChange,
  type RegisterContext,
  Registrar,
  type RegistrarAuthorizeContext,
  type RegistrarAuthorizer,
  type RegistrarEvents,
  type RegistrarOptions,
} from './registrar.js';
export {
  createRegistrationClient,
  type RegisteredInfo,
  RegistrationClient,
  type RegistrationClientOptions,
  type RegistrationEvents,
  type RegistrationFailure,
  type RegistrationRetryOptions,
  type RegistrationState,
} from './registration-client.js';
