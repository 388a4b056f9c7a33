// Type declarations of @klink.cloud/call-sdk.

/** Options of {@link KlinkCallSdk.init}. */
export interface KlinkCallSdkConfig {
  /** The member's email; their extension is registered. Required. */
  userEmail: string;
  /** A K-Link API token (`kpt_...`) with the telephony ability. Required. */
  accessToken: string;
  /** The K-Link API. Default `https://apigw.klinkcx.com`. Must be `https://` (loopback may use `http://`). */
  apiBaseUrl?: string;
  /** Deadline of the credential request, in ms. Default 15000. */
  requestTimeoutMs?: number;
  /** Replaces the ICE servers (STUN/TURN) of the credential response. */
  iceServers?: RTCIceServer[];
  /** Console verbosity. Default `"warn"`. `"debug"` logs SIP messages (never passwords). */
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /**
   * Allows `http://` and `ws://` to non-loopback hosts. Only for closed test networks: the
   * token and SIP signalling would travel in clear text. Default false.
   */
  allowInsecureTransport?: boolean;
  /**
   * Reconnect after the WebSocket drops, rotating through the servers: at most 1 s between
   * tries for the first 12 s after the drop, then exponential backoff (from 2 s).
   * `true` (default), `false`, or `{ maxDelayMs }` to cap the wait between attempts.
   */
  reconnect?: boolean | { maxDelayMs?: number };
  /**
   * The keepalive that notices a SIP connection that died silently (no close, no reset): a
   * probe (a CRLF ping, or OPTIONS where the server ignores pings) after `idleIntervalMs`
   * without a frame from the server (default 15000; `callIntervalMs`, default 5000, during a
   * call), the connection dead when it is unanswered within `timeoutMs` (default 4000); a
   * dead connection is reconnected. So a silent death is noticed within 19 s idle and 9 s in
   * a call. `true` (default), `false` (off), or the fields to change (1000 to 3600000 ms for
   * the intervals, 500 to 60000 for the timeout).
   */
  keepalive?: boolean | { idleIntervalMs?: number; callIntervalMs?: number; timeoutMs?: number };
  /**
   * RFC 4028 session timers, so a PBX that uses them keeps the call: `true` (default), `false`,
   * or `{ expiresSec, minSec }`. `expiresSec` (default 1800, from `minSec` to 86400) is the
   * Session-Expires asked for; `minSec` (default 90, the RFC's smallest, up to 86400) the
   * shortest interval accepted (a shorter one is answered 422). The refresher refreshes at half
   * the interval by UPDATE (or a re-INVITE repeating the session when the peer does not allow
   * UPDATE); a refresh that fails, or a peer whose refresh never comes, ends the call with BYE:
   * `sessionEnded {cause: 'failed', status: 408}` (481 when the refresh got 481) and an `error`.
   */
  sessionTimers?: boolean | { expiresSec?: number; minSec?: number };
  /**
   * The registration lifetime to ask the SIP registrar for, in seconds (10 to 86400). Default
   * 600. The registrar may grant less or insist on a minimum; the SDK re-registers at half the
   * granted lifetime.
   */
  registerExpires?: number;
  /**
   * How long ICE may stay `disconnected` before the SDK restarts it (an ICE-restart
   * re-INVITE), in ms (0 to 60000). Default 2000. ICE `failed`, and the browser's `online`
   * event while ICE is down, restart at once.
   */
  iceDisconnectedGraceMs?: number;
  /**
   * How long an ICE restart may take, from the restart until ICE connects again, in ms (1000
   * to 600000). Default 15000. Past it (or when the peer refuses the re-INVITE) the call ends
   * with BYE: `error {scope: 'media'}`, then `sessionEnded {cause: 'failed'}`.
   */
  mediaRecoveryTimeoutMs?: number;
  /**
   * How long to keep gathering ICE candidates after the first one before sending the SDP, in
   * ms. Default 100. The SDP is sent earlier when gathering completes.
   */
  iceGatheringTimeoutMs?: number;
  /**
   * How long `call()` waits for the connection to the SIP server when it is not up (right
   * after `init()` resolves, or while reconnecting), in ms (0 to 600000). Default 10000. Past
   * it, `call()` rejects with `network_error`; 0 rejects at once.
   */
  connectionWaitMs?: number;
  /**
   * The microphone constraints given to `getUserMedia` as `audio`: `true` (default) or
   * `MediaTrackConstraints`, e.g. `{ deviceId: { exact: id } }`. Browsers apply noise
   * suppression by default, which fades a steady test tone within ~2 s.
   */
  audioConstraints?: true | MediaTrackConstraints;
  /**
   * Where to fetch the engine (`engine_bg.wasm`) from: a URL, absolute or relative to the page.
   * Default: beside the SDK's entry, as the bundler shipped it (Vite and webpack 5 emit it;
   * esbuild does not: copy `dist/engine_bg.wasm` beside the bundle, or give its URL here).
   * Read by the `init()` that first loads the engine in the page.
   */
  engineUrl?: string | URL;
  /**
   * An incoming call while we are busy (any call not over: ringing in, dialling out, early
   * media, active or held): `'ring'` (default) rings as usual; `'reject'` answers 486 Busy Here
   * at once, with no `incoming` event; an `error` event of scope `call` names the caller
   * (`busy: refused a call from sip:1003@... with 486`) for the console's log.
   */
  incomingWhileBusy?: 'ring' | 'reject';
  /**
   * What a peer's transfer request (REFER) does: `'accept'` (default) calls the target as soon
   * as the `transferRequested` listeners ran without answering it; `'ask'` waits for
   * `acceptTransfer(callId)` or `rejectTransfer(callId)`.
   */
  incomingTransfer?: 'accept' | 'ask';
  /**
   * Emit a `stats` event for every answered call this often, in ms (500 to 3600000). Default
   * 0: no event (`getStats()` works either way).
   */
  statsIntervalMs?: number;
  /**
   * Quality warnings (`qualityWarning` / `qualityWarningCleared`), sampled every second for
   * every answered call: `true` (default) with the default thresholds, `false` for none, or
   * thresholds to override. A warning is raised when 3 of the last 5 samples cross its
   * threshold, at most once per 20 s, and cleared when none of the last 5 does.
   */
  qualityWarnings?: boolean | QualityThresholds;
}

/** The thresholds of the quality warnings. */
export interface QualityThresholds {
  /** `high-rtt` above this round-trip time, in ms. Default 400. */
  rttMs?: number;
  /** `high-jitter` above this inbound jitter, in ms. Default 30. */
  jitterMs?: number;
  /** `high-packet-loss` above this inbound loss, in percent. Default 1. */
  packetLossPercent?: number;
  /** `low-mos` below this MOS (1 to 4.5). Default 3.5. */
  mos?: number;
}

/** The names of the quality warnings. */
export type QualityWarningName =
  | 'high-rtt'
  | 'high-jitter'
  | 'high-packet-loss'
  | 'low-mos'
  | 'no-inbound-audio'
  | 'no-outbound-audio'
  | 'constant-audio-level';

/** A call's statistics, from `getStats()` and the `stats` event. */
export interface CallStats {
  callId: string;
  /** Round-trip time in ms (RTCP, else ICE); null before the first measurement. */
  rttMs: number | null;
  /** Inbound jitter in ms; null before audio came. */
  jitterMs: number | null;
  /** Inbound packet loss in percent since the previous sample (over the call for the first). */
  packetLossPercent: number;
  /** Mean opinion score, 1 to 4.5 (simplified E-model); null until RTT and jitter are known. */
  mos: number | null;
  /**
   * The remote audio's level as played, 0 to 1: 0 while nothing plays it (no `attachAudio`
   * element, or a muted one), as browsers measure it at playout.
   */
  inboundLevel: number;
  /** The microphone's level, 0 to 1. */
  outboundLevel: number;
  bytesSent: number;
  bytesReceived: number;
  /** The codec, e.g. `"opus"`, `"PCMU"`; empty before negotiation. */
  codec: string;
  /** The selected ICE candidate pair's local candidate type; empty before one is selected. */
  localCandidateType: '' | 'host' | 'srflx' | 'prflx' | 'relay';
  /** Its remote candidate type. */
  remoteCandidateType: '' | 'host' | 'srflx' | 'prflx' | 'relay';
}

/** Error codes of {@link KlinkCallSdkError}. */
export type KlinkCallSdkErrorCode =
  | 'invalid_config'
  | 'auth_failed'
  | 'extension_not_found'
  | 'extension_not_provisioned'
  | 'network_error'
  | 'init_failed'
  | 'unknown_call'
  | 'invalid_state'
  | 'invalid_argument'
  | 'not_supported'
  | 'permission_denied'
  | 'autoplay_blocked'
  | 'transfer_failed'
  | 'hold_failed'
  | 'message_failed';

/** The error every promise of the SDK rejects with. */
export class KlinkCallSdkError extends Error {
  constructor(code: KlinkCallSdkErrorCode, message: string);
  readonly name: 'KlinkCallSdkError';
  /** What kind of failure; `message` says what to fix. */
  readonly code: KlinkCallSdkErrorCode;
  /** With `message_failed`: the SIP status that refused the MESSAGE (408: no answer). */
  readonly status?: number;
}

export type CallDirection = 'inbound' | 'outbound';
/** Which audio `mute` silences: our microphone (`out`), the remote audio here (`in`), both. */
export type MuteDirection = 'out' | 'in' | 'all';
/**
 * `reconnecting`: answered, but the media path was lost and an ICE restart is under way;
 * back to `active` (or `held`) when it connects again.
 */
export type CallState = 'trying' | 'ringing' | 'early' | 'active' | 'held' | 'reconnecting' | 'ended';

/** A snapshot of one call. */
export interface Call {
  /** The call's id, used by every control method. */
  id: string;
  direction: CallDirection;
  state: CallState;
  /** The remote number (user part), e.g. `"1002"`. */
  remoteNumber: string;
  /** The remote display name, when the remote party sent one. */
  remoteName: string | null;
  /** When the call started, in Unix milliseconds. */
  startedAt: number;
  /** When it was answered, in Unix milliseconds. */
  answeredAt: number | null;
  /** Whether our microphone is muted (`mute` with direction `out` or `all`). */
  muted: boolean;
  /** Whether the remote audio is silenced here (`mute` with direction `in` or `all`). */
  mutedIn: boolean;
  /** Whether we put the call on hold. */
  held: boolean;
  /** Whether the remote party put us on hold. */
  remoteHeld: boolean;
  /** Our own number: the extension this SDK registered. */
  localNumber: string;
  /** The final SIP status of the call's INVITE: null until answered, then 200. */
  status: number | null;
  /** Whole seconds since the answer when this snapshot was taken; null until answered. */
  duration: number | null;
  /**
   * The `X-` headers of the call's INVITE, name as spelled on the wire: ours for an outbound
   * call, the caller's for an inbound one, which also carries its `P-Asserted-Identity`.
   */
  headers: Record<string, string>;
  /** The caller's first identity in P-Asserted-Identity (RFC 3325); null without one. */
  assertedIdentity: AssertedIdentity | null;
}

/** A network-asserted identity of the caller. */
export interface AssertedIdentity {
  /** Its display name, when it has one. */
  name: string | null;
  /** Its `sip:`, `sips:` or `tel:` URI. */
  uri: string;
  /** The URI's user part: the number. */
  number: string;
}

/** Extras for `call()`'s INVITE. */
export interface CallOptions {
  /**
   * `X-` headers, e.g. `{ 'X-Ticket': 'T-42' }`: names are `X-` tokens, values have no control
   * character but tab and at most 1024 bytes, 16 headers at most.
   */
  headers?: Record<string, string>;
  /** The From display name of this call (at most 128 bytes, no `"`, `\` or control character). */
  displayName?: string;
}

/** Why a call ended. */
export type EndCause =
  | 'hangup_local'
  | 'hangup_remote'
  | 'rejected'
  | 'busy'
  | 'no_answer'
  | 'cancelled'
  | 'failed'
  | 'transferred';

/** Every event and its payload. */
export interface KlinkCallSdkEvents {
  /** Once, right after `init()` resolved, before connecting. */
  ready: void;
  /** A call arrives: `answer` or `reject` it. */
  incoming: { call: Call };
  /**
   * A session started, as K-Link defines it ("call established / dialing"): an outbound call
   * when dialling starts (emitted inside `call()`, before its promise resolves; state
   * `trying`), an inbound call when it is answered (state `active`). The answer of an
   * outbound call is a `callUpdated` whose `call.state` is `active`.
   */
  sessionStarted: { call: Call };
  /**
   * A call is over. `status` is the call's final SIP status: the failure response to the
   * INVITE (sent or received; 487 when cancelled), 200 for an answered call ended by BYE (ours
   * or theirs: `cause` says who), or the in-dialog failure that ended it (408, 481); null only
   * when no INVITE was sent (the microphone or connection failed first).
   */
  sessionEnded: { callId: string; cause: EndCause; status: number | null };
  /**
   * A call's remote audio; play it, or let `attachAudio` do it. Emitted again with a new stream
   * when the call moves to a new connection after a reconnect (the old one goes silent).
   */
  remoteStream: { callId: string; stream: MediaStream };
  /** The SIP WebSocket is open. */
  connected: void;
  /** The SIP WebSocket closed; reconnecting follows unless destroyed or disabled. */
  disconnected: void;
  /** Registration state changed. */
  registeredChange: { registered: boolean };
  /** The registrar refused or did not answer (`code` is the SIP status). */
  registrationFailed: { code: number; message: string };
  /**
   * Trouble that is not a call's end nor a registration answer, reported without throwing: a
   * failed connection attempt (`transport`, retried with backoff), a registration or credential
   * refresh (`registration`; a refresh failure carries the `code`, e.g. `auth_failed` for a
   * revoked token), a call, media, or the call audio (`audio`: `code` `autoplay_blocked` when
   * the browser refused to play it before a user gesture; call `resumeAudio()` from one).
   */
  error: {
    scope: 'transport' | 'registration' | 'call' | 'protocol' | 'media' | 'audio';
    detail: string;
    code?: KlinkCallSdkErrorCode;
  };
  /** `destroy()` finished: nothing is left running. */
  destroyed: void;
  /**
   * Extension: a call changed: ringing, early media, the answer of an outbound call
   * (`call.state` becomes `active`, `answeredAt` is set), hold, mute, media lost and
   * recovered (`reconnecting`, then `active` or `held`).
   */
  callUpdated: { call: Call };
  /** Extension: the remote party sent a DTMF tone by SIP INFO. */
  dtmf: { callId: string; tone: string };
  /**
   * Extension: an audio device came or went (`navigator.mediaDevices` `devicechange`): the new
   * lists. Subscribing fetches the device helpers' chunk (`devices.js`, see `listDevices`).
   */
  devicechange: AudioDevices;
  /** Extension: the peer accepted our transfer (REFER); `transfer()` resolves. */
  transferAccepted: { callId: string };
  /**
   * Extension: our transfer failed and the call stays as it was. `status` is the SIP status
   * (of the REFER's answer or of the target's, as the peer reported it), null when none came
   * in time; `reason` says why.
   */
  transferFailed: { callId: string; status: number | null; reason: string };
  /**
   * Extension: the peer asks us to transfer this call to `target` (a `sip:` URI); see config
   * `incomingTransfer`.
   */
  transferRequested: { callId: string; target: string };
  /**
   * Extension: the peer refused our hold (`hold: true`) or resume (`hold: false`), or the
   * browser could not make the offer (`status` null); the call stays as it was and `hold()` /
   * `unhold()` rejects with `hold_failed`.
   */
  holdFailed: { callId: string; hold: boolean; status: number | null; reason: string };
  /** Extension: a call's statistics, every `statsIntervalMs` (config). */
  stats: CallStats;
  /**
   * Extension: a call's quality crossed a threshold in 3 of the last 5 samples. `value` is
   * the latest sample's (ms, percent, MOS, or an audio level 0 to 1 for the audio warnings).
   */
  qualityWarning: { callId: string; name: QualityWarningName; value: number; threshold: number };
  /** Extension: the condition of a `qualityWarning` ended (none of the last 5 samples). */
  qualityWarningCleared: { callId: string; name: QualityWarningName };
  /**
   * Extension: a SIP MESSAGE arrived and was answered 200. `from` is the sender's number (the
   * user part of its From URI); `contentType` the Content-Type as received, `text/plain` or
   * another `text/*` (a MESSAGE with another body is answered 415 and raises nothing): show
   * `text` as text, never as HTML. `callId` names the call whose dialog it came in, null out
   * of dialog.
   */
  message: { callId: string | null; from: string; text: string; contentType: string };
}

/** An audio device as `enumerateDevices` reports it (`label` is empty before microphone permission). */
export interface AudioDevice {
  deviceId: string;
  label: string;
  groupId: string;
}

/** What `preflight()` found; the verdict rules are in docs/js-api.md (Preflight). */
export interface PreflightReport {
  /**
   * `permission_denied`: the microphone was refused. `blocked`: a call cannot work (no answer
   * from the signalling server, no usable microphone, no ICE candidate). `degraded`: it would
   * work worse than it should (a configured STUN or TURN server gave no candidate, a silent
   * microphone, a signalling round trip over 400 ms). `ready`: none of these.
   */
  verdict: 'ready' | 'degraded' | 'blocked' | 'permission_denied';
  /** `level`: the highest RMS (0..1) over 1 s; null when unknown (refused, or no running AudioContext). */
  microphone: { permission: 'granted' | 'denied' | 'unavailable'; level: number | null };
  /** An OPTIONS round trip to the registrar domain through the SIP connection; `status` is its answer's. */
  signalling: { reachable: boolean; rttMs: number | null; status: number | null };
  /**
   * The candidate kinds gathered with the calls' `iceServers`; `stun` and `turn` say whether
   * such servers are configured.
   */
  ice: { host: boolean; srflx: boolean; relay: boolean; stun: boolean; turn: boolean; gatheringMs: number };
  /** When each check ended, in ms after the call, and the whole. */
  timings: { microphoneMs: number; signallingMs: number; iceMs: number; totalMs: number };
}

/** The audio devices by kind. */
export interface AudioDevices {
  audioinput: AudioDevice[];
  audiooutput: AudioDevice[];
}

export type KlinkCallSdkEventName = keyof KlinkCallSdkEvents;
export type KlinkCallSdkListener<E extends KlinkCallSdkEventName> = (payload: KlinkCallSdkEvents[E]) => void;

/** A headless phone: one registered extension, its calls, and their audio. */
export class KlinkCallSdk {
  private constructor();
  /**
   * Validates the config, exchanges the token for SIP credentials, then emits `ready`,
   * connects and registers. Rejects with a {@link KlinkCallSdkError}; a bad config rejects
   * with `invalid_config` at once, before the engine (`engine_bg.wasm`) is fetched.
   */
  static init(config: KlinkCallSdkConfig): Promise<KlinkCallSdk>;
  /** Subscribes; returns a function that unsubscribes. */
  on<E extends KlinkCallSdkEventName>(event: E, listener: KlinkCallSdkListener<E>): () => void;
  /** Subscribes for the next occurrence only; returns a function that unsubscribes. */
  once<E extends KlinkCallSdkEventName>(event: E, listener: KlinkCallSdkListener<E>): () => void;
  /** Removes a listener. */
  off<E extends KlinkCallSdkEventName>(event: E, listener: KlinkCallSdkListener<E>): void;
  /**
   * Calls a number (or a `sip:` URI); resolves with the call's id once dialling started
   * (`sessionStarted` was emitted). Before the SIP connection is up (right after `init()`, or
   * while reconnecting) it waits for it, at most `connectionWaitMs`, then rejects with
   * `network_error`; `destroy()` meanwhile rejects it with `invalid_state`. `options` adds `X-`
   * headers and a display name; any that could not be sent as they are (a line break, a bad
   * name) reject with `invalid_argument` and nothing is sent.
   */
  call(number: string, options?: CallOptions): Promise<string>;
  /**
   * Extension: sends `text` (1 to 8192 bytes as UTF-8) to `target` (a number or `sip:` URI,
   * as for `call()`) in a SIP MESSAGE (RFC 3428) of type `text/plain;charset=UTF-8`, out of
   * any call; waits for the connection as `call()` does. Resolves when the target accepted it
   * (2xx); rejects with `message_failed` and its SIP `status` (404 no such user, 480 offline,
   * 408 no answer), or `invalid_argument` (empty or too long text, bad target: nothing sent).
   */
  sendMessage(target: string, text: string): Promise<void>;
  answer(callId: string): Promise<void>;
  /**
   * Rejects an incoming, ringing call with `code`: 486 Busy Here (default), 603 Decline or 480
   * Temporarily Unavailable; another code rejects with `invalid_argument`.
   */
  reject(callId: string, options?: { code?: 486 | 603 | 480 }): Promise<void>;
  /** Ends a call in any state (cancels it while ringing). */
  hangup(callId: string): Promise<void>;
  /**
   * Puts a call on hold (re-INVITE `a=sendonly`): resolves once the peer accepted (after the
   * `callUpdated` with `held: true`), rejects with `hold_failed` when it refused (`holdFailed`).
   */
  hold(callId: string): Promise<void>;
  /** Resumes a held call (re-INVITE `a=sendrecv`); settles as `hold()` does. */
  unhold(callId: string): Promise<void>;
  /**
   * Mutes a call without signalling: `direction` `'out'` (default) silences our microphone
   * (the peer hears nothing), `'in'` silences the remote audio here only (the attached element
   * and the `remoteStream` play silence; the peer notices nothing), `'all'` both.
   */
  mute(callId: string, options?: { direction?: MuteDirection }): Promise<void>;
  /** Undoes `mute` in the given `direction` (`'out'` by default). */
  unmute(callId: string, options?: { direction?: MuteDirection }): Promise<void>;
  /**
   * Sends DTMF: `0-9 * # A-D`, `,` for a pause (2 s). Each tone lasts `duration` ms (40 to
   * 6000, default 100) with `gap` ms of silence after it (30 to 6000, default 70), by RFC 4733
   * and by SIP INFO alike (the INFO's `Duration`, the next INFO `duration + gap` later); other
   * values reject with `invalid_argument`.
   */
  dtmf(callId: string, tones: string, options?: { duration?: number; gap?: number }): Promise<void>;
  /**
   * Transfers an answered call, blind to a number or `sip:` URI, or attended to the peer of
   * another answered call (`{ replaces: otherCallId }`). Does not hold the call first.
   * Resolves when the peer accepted the REFER; rejects with `transfer_failed` when it did not.
   * Success ends the call (and, attended, the other one) with cause `transferred`; a later
   * failure is a `transferFailed` event and the call goes on.
   */
  transfer(callId: string, target: string | { replaces: string }): Promise<void>;
  /** Accepts the peer's transfer request; resolves with the new call's id. */
  acceptTransfer(callId: string): Promise<string>;
  /** Declines the peer's transfer request (603 Decline); the call goes on. */
  rejectTransfer(callId: string): Promise<void>;
  /**
   * Reads a call's statistics now. Rejects with `unknown_call`, or `invalid_state` before the
   * call has media.
   */
  getStats(callId: string): Promise<CallStats>;
  /** Plays each call's remote audio in this element and releases it when the call ends. */
  attachAudio(element: HTMLMediaElement | null): void;
  /**
   * The audio inputs and outputs (`enumerateDevices`); `not_supported` without it. The device
   * methods and `preflight()` run in `devices.js`, a chunk the ESM build fetches on first use:
   * they reject with `network_error` when it cannot be fetched (the next use tries again).
   */
  listDevices(): Promise<AudioDevices>;
  /**
   * Uses this microphone (`''`: the default) for new calls and, at once, on the calls in
   * progress: their new track keeps the call's mute and hold, the old one is stopped. A
   * device that cannot be opened rejects (`invalid_argument` for an unknown id,
   * `permission_denied`) and changes nothing.
   */
  setInputDevice(deviceId: string): Promise<void>;
  /**
   * Plays call audio on this output (`''`: the default): `setSinkId` on the `attachAudio`
   * element, now and on elements attached later. `not_supported` without `setSinkId`,
   * `invalid_argument` for an unknown id.
   */
  setOutputDevice(deviceId: string): Promise<void>;
  /**
   * Plays the attached element's call audio after the autoplay policy refused it (`error`
   * `{scope: 'audio', code: 'autoplay_blocked'}`): call it from a user gesture (a click).
   * Rejects with `autoplay_blocked` outside one.
   */
  resumeAudio(): Promise<void>;
  /**
   * Checks what a call needs, with or without calls in progress: the microphone (permission,
   * level over 1 s), the signalling server (an OPTIONS round trip), ICE (which candidate kinds
   * the configured servers give). `timeoutMs` (default 3000, 100 to 60000) bounds the
   * signalling and ICE checks; a bad one rejects with `invalid_argument`.
   */
  preflight(options?: { timeoutMs?: number }): Promise<PreflightReport>;
  /** The calls in progress. */
  getCalls(): Call[];
  /** Whether the extension is registered right now. */
  readonly isRegistered: boolean;
  /** Unregisters, ends calls, closes the connection; resolves after `destroyed`. */
  destroy(): Promise<void>;
}

export default KlinkCallSdk;
