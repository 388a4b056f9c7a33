// The rarely used part of the API: the device helpers (listDevices, setInputDevice,
// setOutputDevice, the devicechange lists) and preflight(). Most pages call them once or never,
// and never on the way to a call, so the ESM build ships this module as a chunk of its own
// (dist/devices.js) that sdk.js imports on first use; the script-tag build bundles it in.
// It shares no module with the entry: sdk.js hands it the error class, so what it throws is
// the page's KlinkCallSdkError (`instanceof` holds), and the state it needs.
import { iceCheck, microphoneCheck, verdict } from './preflight.js';

/** This chunk's functions, throwing `E` (KlinkCallSdkError); `toError(err, code)` maps an engine error. */
export default (E, toError) => {
  /** `navigator.mediaDevices`, or a `not_supported` error naming what is missing. */
  const mediaDevices = (what) => {
    const md = globalThis.navigator?.mediaDevices;
    if (!md?.[what]) throw new E('not_supported', `no navigator.mediaDevices.${what} in this browser`);
    return md;
  };

  /** A device id argument: a string, `''` for the default device. */
  const deviceId = (id) => {
    if (typeof id !== 'string') throw new E('invalid_argument', 'a deviceId is a string from listDevices()');
    return id;
  };

  /** A refused getUserMedia or setSinkId as a KlinkCallSdkError: the device, or the permission. */
  const deviceError = (err, id) => {
    const name = err?.name;
    return new E(
      name === 'NotAllowedError' ? 'permission_denied' : name === 'NotFoundError' || name === 'OverconstrainedError' ? 'invalid_argument' : 'invalid_state',
      `device "${id}": ${name}`,
    );
  };

  return {
    deviceError,

    /** The audio devices by kind (labels are empty until the page has had microphone permission). */
    async devices() {
      const lists = { audioinput: [], audiooutput: [] };
      for (const { kind, deviceId: id, label, groupId } of await mediaDevices('enumerateDevices').enumerateDevices()) {
        lists[kind]?.push({ deviceId: id, label, groupId });
      }
      return lists;
    },

    /**
     * setInputDevice(id): opens the device with the calls' `audio` constraints, then
     * `swap(audio, track)` hands it to the engine and returns the calls' track swaps.
     */
    async input(id, audio, swap) {
      const { deviceId: _, ...base } = typeof audio === 'object' ? audio : {};
      const wanted = deviceId(id) ? { ...base, deviceId: { exact: id } } : base;
      let track;
      try {
        [track] = (await mediaDevices('getUserMedia').getUserMedia({ audio: wanted })).getAudioTracks();
      } catch (err) {
        throw err instanceof E ? err : deviceError(err, id);
      }
      try {
        // Each call gets a clone of the track; this one only proved the device.
        await Promise.all(swap(wanted, track));
      } catch (err) {
        throw toError(err, 'invalid_state');
      } finally {
        track.stop();
      }
    },

    /** setOutputDevice(id) on the attached element `el`; without one, a detached one checks the id. */
    async output(id, el) {
      deviceId(id);
      el ??= new Audio();
      if (!el.setSinkId) throw new E('not_supported', 'no HTMLMediaElement.setSinkId in this browser');
      try {
        await el.setSinkId(id);
      } catch (err) {
        throw deviceError(err, id);
      }
    },

    /**
     * preflight(options) with the SDK's `audio` constraints, its `iceServers`, and its
     * signalling: `connection(ms)` waits for the SIP connection, `ping()` sends an OPTIONS whose
     * answer the engine's `pong` brings to each function in `pongs`.
     */
    async preflight({ timeoutMs = 3000 } = {}, { audio, iceServers, connection, ping: send, pongs }) {
      if (!(timeoutMs >= 100 && timeoutMs <= 60000)) throw new E('invalid_argument', 'timeoutMs: 100 to 60000');
      const started = performance.now();
      const timed = async (check) => [await check, Math.round(performance.now() - started)];
      // The signalling round trip: an OPTIONS through the core once connected, its answer the
      // engine's `pong` (unreachable when either does not come within timeoutMs).
      const ping = async () => {
        let pong;
        try {
          await connection(timeoutMs);
          pong = await new Promise((resolve) => {
            const wake = (payload) => {
              // A pong with an id is a sendMessage()'s outcome.
              if (payload?.id) return;
              clearTimeout(timer);
              pongs.delete(wake);
              resolve(payload);
            };
            const timer = setTimeout(wake, started + timeoutMs - performance.now());
            pongs.add(wake);
            send();
          });
        } catch {
          // not connected in time, or the SDK went away
        }
        return { reachable: !!pong, rttMs: pong?.rttMs ?? null, status: pong?.status ?? null };
      };
      const [[microphone, microphoneMs], [signalling, signallingMs], [ice, iceMs]] = await Promise.all([
        timed(microphoneCheck(audio, 1000)),
        timed(ping()),
        timed(iceCheck(iceServers, timeoutMs)),
      ]);
      ice.gatheringMs = iceMs;
      return {
        verdict: verdict({ microphone, signalling, ice }),
        microphone,
        signalling,
        ice,
        timings: { microphoneMs, signallingMs, iceMs, totalMs: Math.round(performance.now() - started) },
      };
    },
  };
};
