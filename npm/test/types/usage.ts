// How an application uses the package, checked by `tsc` against src/index.d.ts. Lines marked
// `@ts-expect-error` must fail to compile: tsc reports an expected error that does not happen,
// so a declaration that grows too loose fails this test as surely as one that breaks.
import KlinkCallSdk, {
  KlinkCallSdkError,
  type Call,
  type CallDirection,
  type AudioDevices,
  type PreflightReport,
  type CallState,
  type EndCause,
  type KlinkCallSdkConfig,
  type KlinkCallSdkErrorCode,
  type KlinkCallSdkEventName,
  type KlinkCallSdkEvents,
  type KlinkCallSdkListener,
  type MuteDirection,
  type CallStats,
  type QualityThresholds,
  type QualityWarningName,
} from '@klink.cloud/call-sdk';
import { KlinkCallSdk as Named } from '@klink.cloud/call-sdk';

/** Fails to compile unless `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

expectType<Equal<typeof Named, typeof KlinkCallSdk>>();

// --- init and its config ---------------------------------------------------------------
const minimal: KlinkCallSdkConfig = { userEmail: 'agent@example.com', accessToken: 'kpt_x' };
const full: KlinkCallSdkConfig = {
  userEmail: 'agent@example.com',
  accessToken: 'kpt_x',
  apiBaseUrl: 'https://apigw.klinkcx.com',
  requestTimeoutMs: 15_000,
  iceServers: [{ urls: 'stun:stun.example.com' }, { urls: ['turn:t.example.com'], username: 'u', credential: 'p' }],
  logLevel: 'debug',
  allowInsecureTransport: false,
  reconnect: { maxDelayMs: 30_000 },
  keepalive: { idleIntervalMs: 20_000, timeoutMs: 3_000 },
  sessionTimers: { expiresSec: 1800, minSec: 90 },
  registerExpires: 600,
  iceDisconnectedGraceMs: 2000,
  mediaRecoveryTimeoutMs: 15_000,
  iceGatheringTimeoutMs: 100,
  connectionWaitMs: 0,
  audioConstraints: { deviceId: { exact: 'mic' } },
  engineUrl: new URL('https://cdn.example.com/engine_bg.wasm'),
  incomingWhileBusy: 'reject',
  incomingTransfer: 'ask',
  statsIntervalMs: 2_000,
  qualityWarnings: { rttMs: 300, jitterMs: 20, packetLossPercent: 2, mos: 3.6 },
};
const other: KlinkCallSdkConfig = { ...minimal, reconnect: false, keepalive: false, sessionTimers: false, audioConstraints: true, engineUrl: '/engine_bg.wasm', qualityWarnings: false };
// @ts-expect-error a threshold is a number
const badThreshold: KlinkCallSdkConfig = { ...minimal, qualityWarnings: { rttMs: '400' } };
// @ts-expect-error accessToken is required
const noToken: KlinkCallSdkConfig = { userEmail: 'agent@example.com' };
// @ts-expect-error userEmail is required
const noEmail: KlinkCallSdkConfig = { accessToken: 'kpt_x' };
// @ts-expect-error logLevel is one of the named levels
const badLevel: KlinkCallSdkConfig = { ...minimal, logLevel: 'verbose' };
// @ts-expect-error a timeout is a number of ms
const badTimeout: KlinkCallSdkConfig = { ...minimal, requestTimeoutMs: '15000' };
// @ts-expect-error a keepalive interval is a number of ms
const badKeepalive: KlinkCallSdkConfig = { ...minimal, keepalive: { idleIntervalMs: '15s' } };
// @ts-expect-error audioConstraints is `true` or constraints, never `false`
const noAudio: KlinkCallSdkConfig = { ...minimal, audioConstraints: false };
// @ts-expect-error the busy policy is 'ring' or 'reject'
const badBusy: KlinkCallSdkConfig = { ...minimal, incomingWhileBusy: 'busy' };
// @ts-expect-error incomingTransfer is 'accept' or 'ask'
const badTransfer: KlinkCallSdkConfig = { ...minimal, incomingTransfer: 'reject' };
// @ts-expect-error an unknown option is a typo
const typo: KlinkCallSdkConfig = { ...minimal, acessToken: 'kpt_x' };
// @ts-expect-error the constructor is private: init() builds the phone
new KlinkCallSdk();

async function main(): Promise<void> {
  const sdk: KlinkCallSdk = await KlinkCallSdk.init(full);
  await KlinkCallSdk.init(other);
  // @ts-expect-error init needs a config
  await KlinkCallSdk.init();

  // --- every event, with its payload ---------------------------------------------------
  const offs: Array<() => void> = [
    sdk.on('ready', (p) => expectType<Equal<typeof p, void>>()),
    sdk.on('incoming', ({ call }) => expectType<Equal<typeof call, Call>>()),
    sdk.on('sessionStarted', ({ call }) => expectType<Equal<typeof call.state, CallState>>()),
    sdk.on('sessionEnded', ({ callId, cause, status }) => {
      expectType<Equal<typeof callId, string>>();
      expectType<Equal<typeof cause, EndCause>>();
      expectType<Equal<typeof status, number | null>>();
    }),
    sdk.on('remoteStream', ({ callId, stream }) => {
      expectType<Equal<typeof callId, string>>();
      expectType<Equal<typeof stream, MediaStream>>();
    }),
    sdk.on('connected', (p) => expectType<Equal<typeof p, void>>()),
    sdk.on('disconnected', (p) => expectType<Equal<typeof p, void>>()),
    sdk.on('registeredChange', ({ registered }) => expectType<Equal<typeof registered, boolean>>()),
    sdk.on('registrationFailed', ({ code, message }) => {
      expectType<Equal<typeof code, number>>();
      expectType<Equal<typeof message, string>>();
    }),
    sdk.on('error', ({ scope, detail, code }) => {
      expectType<Equal<typeof scope, 'transport' | 'registration' | 'call' | 'protocol' | 'media' | 'audio'>>();
      expectType<Equal<typeof detail, string>>();
      expectType<Equal<typeof code, KlinkCallSdkErrorCode | undefined>>();
    }),
    sdk.on('destroyed', (p) => expectType<Equal<typeof p, void>>()),
    sdk.on('callUpdated', ({ call }) => {
      expectType<Equal<typeof call.direction, CallDirection>>();
      expectType<Equal<typeof call.answeredAt, number | null>>();
      expectType<Equal<typeof call.remoteName, string | null>>();
      expectType<Equal<typeof call.localNumber, string>>();
      expectType<Equal<typeof call.mutedIn, boolean>>();
      expectType<Equal<typeof call.status, number | null>>();
      expectType<Equal<typeof call.duration, number | null>>();
    }),
    sdk.on('dtmf', ({ callId, tone }) => {
      expectType<Equal<typeof callId, string>>();
      expectType<Equal<typeof tone, string>>();
    }),
    sdk.on('devicechange', ({ audioinput, audiooutput }) => {
      expectType<Equal<typeof audioinput[0]['deviceId'], string>>();
      expectType<Equal<typeof audiooutput[0]['label'], string>>();
    }),
    sdk.on('transferAccepted', ({ callId }) => expectType<Equal<typeof callId, string>>()),
    sdk.on('transferFailed', ({ callId, status, reason }) => {
      expectType<Equal<typeof callId, string>>();
      expectType<Equal<typeof status, number | null>>();
      expectType<Equal<typeof reason, string>>();
    }),
    sdk.on('holdFailed', ({ callId, hold, status, reason }) => {
      expectType<Equal<typeof callId, string>>();
      expectType<Equal<typeof hold, boolean>>();
      expectType<Equal<typeof status, number | null>>();
      expectType<Equal<typeof reason, string>>();
    }),
    sdk.on('transferRequested', ({ callId, target }) => {
      expectType<Equal<typeof target, string>>();
      void sdk.rejectTransfer(callId);
    }),
    sdk.on('sessionEnded', ({ cause }) => {
      if (cause === 'transferred') console.log('handed over');
    }),
    sdk.on('stats', (s) => {
      expectType<Equal<typeof s, CallStats>>();
      expectType<Equal<typeof s.mos, number | null>>();
      expectType<Equal<typeof s.rttMs, number | null>>();
      expectType<Equal<typeof s.packetLossPercent, number>>();
      expectType<Equal<typeof s.codec, string>>();
      expectType<Equal<typeof s.localCandidateType, '' | 'host' | 'srflx' | 'prflx' | 'relay'>>();
    }),
    sdk.on('qualityWarning', ({ callId, name, value, threshold }) => {
      expectType<Equal<typeof callId, string>>();
      expectType<Equal<typeof name, QualityWarningName>>();
      expectType<Equal<typeof value, number>>();
      expectType<Equal<typeof threshold, number>>();
    }),
    sdk.on('qualityWarningCleared', ({ callId, name }) => {
      expectType<Equal<typeof callId, string>>();
      expectType<Equal<typeof name, QualityWarningName>>();
    }),
    sdk.on('message', ({ callId, from, text, contentType }) => {
      expectType<Equal<typeof callId, string | null>>();
      expectType<Equal<typeof from, string>>();
      expectType<Equal<typeof text, string>>();
      expectType<Equal<typeof contentType, string>>();
    }),
    sdk.once('incoming', ({ call }) => void sdk.answer(call.id)),
  ];
  offs.forEach((off) => off());
  // The event table has exactly these names.
  expectType<
    Equal<
      KlinkCallSdkEventName,
      | 'ready'
      | 'incoming'
      | 'sessionStarted'
      | 'sessionEnded'
      | 'remoteStream'
      | 'connected'
      | 'disconnected'
      | 'registeredChange'
      | 'registrationFailed'
      | 'error'
      | 'destroyed'
      | 'callUpdated'
      | 'dtmf'
      | 'devicechange'
      | 'transferAccepted'
      | 'transferFailed'
      | 'transferRequested'
      | 'holdFailed'
      | 'stats'
      | 'qualityWarning'
      | 'qualityWarningCleared'
      | 'message'
    >
  >();
  const onDtmf: KlinkCallSdkListener<'dtmf'> = ({ tone }) => console.log(tone);
  sdk.on('dtmf', onDtmf);
  sdk.off('dtmf', onDtmf);
  const ended = (e: KlinkCallSdkEvents['sessionEnded']): string => e.callId;
  sdk.once('sessionEnded', ended);

  // @ts-expect-error no such event
  sdk.on('ringing', () => {});
  // @ts-expect-error no such event (names are camelCase)
  sdk.once('session_ended', () => {});
  // @ts-expect-error sessionEnded has callId, not call
  sdk.on('sessionEnded', ({ call }) => call);
  // @ts-expect-error a dtmf tone is a string
  sdk.on('dtmf', ({ tone }: { tone: number }) => tone);
  // @ts-expect-error status may be null
  sdk.on('sessionEnded', ({ status }) => status.toFixed());
  // @ts-expect-error off takes the event's listener type
  sdk.off('incoming', onDtmf);
  // @ts-expect-error a warning's name is one of the seven
  sdk.on('qualityWarning', ({ name }) => name === 'high-latency');
  // @ts-expect-error the payload of `error` has no message field
  sdk.on('error', ({ message }) => message);

  // --- every method --------------------------------------------------------------------
  const id: string = await sdk.call('1002');
  await sdk.call('1002', { headers: { 'X-Ticket': 'T-42' }, displayName: 'Agent Ann' });
  const [snapshot] = sdk.getCalls();
  const ticket: string | undefined = snapshot.headers['X-Ticket'];
  const caller: string | null = snapshot.assertedIdentity?.number ?? null;
  const sent: void = await sdk.sendMessage('1002', 'Ticket #42');
  void sent;
  // @ts-expect-error the text is a string
  await sdk.sendMessage('1002', 42);
  await sdk.answer(id);
  await sdk.reject(id);
  await sdk.reject(id, { code: 603 });
  await sdk.reject(id, { code: 480 });
  await sdk.reject(id, {});
  await sdk.hold(id);
  await sdk.unhold(id);
  await sdk.mute(id);
  await sdk.unmute(id);
  await sdk.dtmf(id, '12#,*');
  await sdk.dtmf(id, '5', { duration: 250, gap: 100 });
  await sdk.mute(id, { direction: 'in' });
  const all: MuteDirection = 'all';
  await sdk.unmute(id, { direction: all });
  const stats: CallStats = await sdk.getStats(id);
  const thresholds: QualityThresholds = { mos: 3.5 };
  void stats;
  void thresholds;
  await sdk.hangup(id);
  sdk.attachAudio(document.createElement('audio'));
  sdk.attachAudio(null);
  const devices: AudioDevices = await sdk.listDevices();
  await sdk.setInputDevice(devices.audioinput[0].deviceId);
  await sdk.setOutputDevice('');
  await sdk.resumeAudio();
  const report: PreflightReport = await sdk.preflight({ timeoutMs: 2000 });
  expectType<Equal<typeof report.verdict, 'ready' | 'degraded' | 'blocked' | 'permission_denied'>>();
  expectType<Equal<typeof report.signalling.rttMs, number | null>>();
  expectType<Equal<typeof report.microphone.level, number | null>>();
  expectType<Equal<typeof report.ice.relay, boolean>>();
  await sdk.preflight();
  // @ts-expect-error timeoutMs is a number of ms
  await sdk.preflight({ timeoutMs: '2s' });
  // @ts-expect-error a device is chosen by its deviceId, not the device object
  await sdk.setInputDevice(devices.audioinput[0]);
  // @ts-expect-error listDevices lists audio only
  devices.videoinput;
  const calls: Call[] = sdk.getCalls();
  const registered: boolean = sdk.isRegistered;
  await sdk.destroy();
  // @ts-expect-error call takes a number as a string
  await sdk.call(1002);
  // @ts-expect-error reject takes 486, 603 or 480
  await sdk.reject(id, { code: 404 });
  // @ts-expect-error the direction is out, in or all
  await sdk.mute(id, { direction: 'both' });
  // @ts-expect-error a duration is a number of ms
  await sdk.dtmf(id, '1', { duration: '100' });
  // @ts-expect-error dtmf needs the tones
  await sdk.dtmf(id);
  // @ts-expect-error the call's id, not the Call
  await sdk.hangup(calls[0]);
  // @ts-expect-error answer resolves with nothing
  const nothing: string = await sdk.answer(id);
  // @ts-expect-error isRegistered is read-only
  sdk.isRegistered = true;
  // @ts-expect-error attachAudio takes a media element
  sdk.attachAudio(document.createElement('div'));
  await sdk.transfer(id, '1003');
  await sdk.transfer(id, 'sip:1003@example.com');
  await sdk.transfer(id, { replaces: 'other-call-id' });
  const newCall: string = await sdk.acceptTransfer(id);
  await sdk.rejectTransfer(id);
  // @ts-expect-error the transfer target is a string or { replaces }
  await sdk.transfer(id, { to: '1003' });
  // @ts-expect-error transfer resolves with nothing
  const noId: string = await sdk.transfer(id, '1003');
  // @ts-expect-error there is no such method
  sdk.park(id);
  void newCall;
  void noId;
  void registered;
  void nothing;

  // --- the error class and its codes --------------------------------------------------------
  try {
    await sdk.call('1002');
  } catch (e) {
    if (e instanceof KlinkCallSdkError) {
      const name: 'KlinkCallSdkError' = e.name;
      const code: KlinkCallSdkErrorCode = e.code;
      const message: string = e.message;
      const status: number | undefined = e.status;
      void status;
      void name;
      void message;
      switch (code) {
        case 'invalid_config':
        case 'auth_failed':
        case 'extension_not_found':
        case 'extension_not_provisioned':
        case 'network_error':
        case 'init_failed':
        case 'unknown_call':
        case 'invalid_state':
        case 'invalid_argument':
        case 'not_supported':
        case 'permission_denied':
        case 'autoplay_blocked':
        case 'transfer_failed':
        case 'hold_failed':
        case 'message_failed':
          break;
        default: {
          // Every code is named above: a new one fails here until it is handled.
          const never: never = code;
          void never;
        }
      }
      // @ts-expect-error code is read-only
      e.code = 'auth_failed';
      // @ts-expect-error not a code of the SDK
      const wrong: KlinkCallSdkErrorCode = 'timeout';
      void wrong;
    }
  }
  const err = new KlinkCallSdkError('invalid_argument', 'bad tones');
  const asError: Error = err;
  // @ts-expect-error the code must be one of the SDK's
  new KlinkCallSdkError('oops', 'message');
  void asError;
}

void main;
void [minimal, noToken, noEmail, badLevel, badTimeout, badKeepalive, noAudio, typo];
void [minimal, noToken, noEmail, badLevel, badTimeout, noAudio, typo, badTransfer];
