/**
 * L6 sip/ua: digest authentication (server and client), the registrar and
 * location service, the outbound registration client, and the UserAgent with
 * its invite sessions, REFER and the SUBSCRIBE/NOTIFY framework.
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
export { type DigestClientFailure, DigestError, SipResponseError } from './errors.js';
export { IncomingRequest, type RequestResponseOptions } from './incoming-request.js';
export {
  BYE_ANSWER_HOLD_MAX_MS,
  type DtmfEvent,
  type EndedInfo,
  type EndReason,
  type InfoEvent,
  type InviteOptions,
  InviteSession,
  type InviteSessionEvents,
  type InviteSessionState,
  type ModifiedInfo,
  type OfferHandler,
  type ProgressInfo,
  type ProvisionalOptions,
  parseDtmfRelay,
  type RejectOptions,
  type SdpInput,
  type SessionAnswerOptions,
} from './invite-session.js';
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
export { IncomingRefer, parseSipfragStatus, type ReferOptions, type ReferResult } from './refer.js';
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
export {
  IncomingSubscription,
  type IncomingSubscriptionEvents,
  type NotifyInfo,
  type NotifyOptions,
  type SubscribeOptions,
  Subscription,
  type SubscriptionEvents,
} from './subscription.js';
export {
  createUserAgent,
  type DialogUsage,
  KNOWN_METHODS,
  type RequestHandler,
  UA_EXTENSIONS,
  USER_AGENT_DEFAULTS,
  UserAgent,
  type UserAgentAuthOptions,
  type UserAgentEvents,
  type UserAgentOptions,
} from './user-agent.js';
