// useKlinkPhone: one KlinkCallSdk for a React tree, as React state. It holds the phone in a
// ref (an SDK instance is not state: it never changes identity while signed in) and turns what
// the SDK says into three pieces of state a console renders: the registration status, the
// calls (always `sdk.getCalls()`, never rebuilt from events) and a log of every event.
//
// The calls are read back from the SDK after each event rather than folded from the events
// themselves, so the list is right whichever event announced a change: an outbound call's
// answer may come as `sessionStarted` or as a `callUpdated` whose state is `active`.
import { useCallback, useEffect, useRef, useState } from 'react';
import { KlinkCallSdk } from '@klink.cloud/call-sdk';

/** Every event the SDK emits: all of them go to the log. */
const EVENTS = [
  'ready', 'connected', 'disconnected', 'registeredChange', 'registrationFailed', 'incoming',
  'sessionStarted', 'callUpdated', 'remoteStream', 'sessionEnded', 'dtmf', 'error', 'destroyed',
];
const LOG_LIMIT = 200;

/** One line of the log for an event. */
function describe(name, payload) {
  if (!payload) return '';
  const call = payload.call;
  if (call) {
    const who = call.remoteName ? `${call.remoteName} <${call.remoteNumber}>` : call.remoteNumber;
    const flags = [call.muted && 'muted', call.held && 'held', call.remoteHeld && 'held by the other side'].filter(Boolean);
    return `${call.direction} ${who} · ${call.state}${flags.length ? ` (${flags.join(', ')})` : ''}`;
  }
  switch (name) {
    case 'registeredChange':
      return payload.registered ? 'registered' : 'not registered';
    case 'registrationFailed':
      return `${payload.code} ${payload.message}`;
    case 'sessionEnded':
      return `${payload.callId} ${payload.cause}${payload.status ? ` (${payload.status})` : ''}`;
    case 'remoteStream':
      return `audio of ${payload.callId}`;
    case 'dtmf':
      return `${payload.tone} from ${payload.callId}`;
    case 'error':
      return `${payload.scope}: ${typeof payload.detail === 'string' ? payload.detail : JSON.stringify(payload.detail)}`;
    default:
      return JSON.stringify(payload);
  }
}

/**
 * The phone of one agent.
 * Returns { status, account, error, calls, log, audioRef, signIn(config), signOut(), and the
 * call controls call/answer/reject/hangup/hold/unhold/mute/unmute/dtmf }.
 * `status`: 'signedOut' | 'signingIn' | 'registering' | 'registered' | 'unregistered' |
 * 'reconnecting' | 'failed'. Render `<audio ref={audioRef} autoPlay />` once, outside any
 * condition: the SDK plays every call's remote audio in it. The controls never throw: a refusal
 * (a `KlinkCallSdkError`) goes to the log, marked failed, and the promise resolves `undefined`.
 */
export function useKlinkPhone() {
  const sdkRef = useRef(null);
  const audioRef = useRef(null);
  const seq = useRef(0);
  const [status, setStatus] = useState('signedOut');
  const [account, setAccount] = useState(null);
  const [error, setError] = useState(null);
  const [calls, setCalls] = useState([]);
  const [log, setLog] = useState([]);

  const append = useCallback((name, text, failed = false) => {
    const entry = { seq: ++seq.current, at: Date.now(), name, text, failed };
    setLog((entries) => [entry, ...entries].slice(0, LOG_LIMIT));
  }, []);

  const refresh = useCallback(() => {
    setCalls(sdkRef.current ? sdkRef.current.getCalls() : []);
  }, []);

  const onEvent = useCallback(
    (sdk, name, payload) => {
      append(name, describe(name, payload));
      switch (name) {
        case 'registeredChange':
          setStatus(payload.registered ? 'registered' : 'unregistered');
          break;
        case 'registrationFailed':
          setStatus('failed');
          setError({ code: String(payload.code), message: payload.message });
          break;
        case 'disconnected':
          setStatus('reconnecting');
          break;
        case 'connected':
          setStatus(sdk.isRegistered ? 'registered' : 'registering');
          break;
        case 'destroyed':
          if (sdkRef.current === sdk) sdkRef.current = null;
          setStatus('signedOut');
          setAccount(null);
          break;
        default:
      }
      refresh();
    },
    [append, refresh],
  );

  const signIn = useCallback(
    async (config) => {
      if (sdkRef.current) return true;
      setStatus('signingIn');
      setError(null);
      let sdk;
      try {
        sdk = await KlinkCallSdk.init(config);
      } catch (err) {
        setStatus('signedOut');
        setError({ code: err.code, message: err.message });
        append('init', `${err.code}: ${err.message}`, true);
        return false;
      }
      sdkRef.current = sdk;
      // Subscribed before init()'s promise hands over to anyone else: the SDK holds back the
      // events of the first moments (connected, registeredChange) until then.
      for (const name of EVENTS) sdk.on(name, (payload) => onEvent(sdk, name, payload));
      if (audioRef.current) sdk.attachAudio(audioRef.current);
      setAccount(config.userEmail);
      setStatus(sdk.isRegistered ? 'registered' : 'registering');
      refresh();
      return true;
    },
    [append, onEvent, refresh],
  );

  const signOut = useCallback(async () => {
    const sdk = sdkRef.current;
    if (!sdk) return;
    await sdk.destroy();
    sdkRef.current = null;
    setStatus('signedOut');
    setAccount(null);
    setCalls([]);
  }, []);

  /** Runs one control; a refusal is logged, not thrown. */
  const control = useCallback(
    async (label, action) => {
      const sdk = sdkRef.current;
      if (!sdk) return undefined;
      try {
        return await action(sdk);
      } catch (err) {
        append(label, `${err.code || 'error'}: ${err.message}`, true);
        return undefined;
      } finally {
        refresh();
      }
    },
    [append, refresh],
  );

  // Ringing, hold and mute arrive as events, but the call timers and anything the SDK changes
  // between events should not wait for the next one: re-read the calls while there are some.
  const hasCalls = calls.length > 0;
  useEffect(() => {
    if (!hasCalls) return undefined;
    const timer = setInterval(refresh, 1000);
    return () => clearInterval(timer);
  }, [hasCalls, refresh]);

  // An agent console that unmounts takes its phone with it (unregisters, ends the calls).
  useEffect(
    () => () => {
      const sdk = sdkRef.current;
      sdkRef.current = null;
      if (sdk) sdk.destroy();
    },
    [],
  );

  return {
    status,
    account,
    error,
    calls,
    log,
    audioRef,
    signIn,
    signOut,
    call: (number) => control(`call ${number}`, (sdk) => sdk.call(number)),
    answer: (id) => control('answer', (sdk) => sdk.answer(id)),
    reject: (id) => control('reject', (sdk) => sdk.reject(id)),
    hangup: (id) => control('hang up', (sdk) => sdk.hangup(id)),
    hold: (id) => control('hold', (sdk) => sdk.hold(id)),
    unhold: (id) => control('resume', (sdk) => sdk.unhold(id)),
    mute: (id) => control('mute', (sdk) => sdk.mute(id)),
    unmute: (id) => control('unmute', (sdk) => sdk.unmute(id)),
    dtmf: (id, tones) => control(`dtmf ${tones}`, (sdk) => sdk.dtmf(id, tones)),
  };
}
