// The far end of the end-to-end tests: a JsSIP user agent in the page, driven from Node
// through `window.farEnd`. Every method returns plain JSON so page.evaluate can carry it;
// everything observable lands in one ordered event log (see tests/e2e/README.md).
(() => {
  'use strict';

  const JsSIP = window.JsSIP;
  if (!JsSIP) throw new Error('farend.js needs the JsSIP bundle (/e2e-build/jssip.js) loaded first');

  /** @type {Array<Record<string, unknown>>} */
  const log = [];
  const waiters = new Set();
  const sessions = new Map(); // id -> { session, direction, remoteHeld, audio }
  /** The status incoming MESSAGEs are refused with (null: JsSIP answers 200). */
  let refuseMessages = null;
  let ua = null;
  let current = null; // id of the most recent session still alive
  let nextSessionId = 1;
  let audioContext = null;
  /** Set by start(): { stripTelephoneEvent } */
  let options = { stripTelephoneEvent: false, acceptRefer: false };

  function record(type, details = {}) {
    const event = { seq: log.length, type, at: performance.now(), ...details };
    log.push(event);
    for (const w of [...waiters]) w.check();
    return event;
  }

  /** Resolves with the first logged event of `type` at index >= from that matches `where`. */
  function waitFor(type, { timeout = 10000, from = 0, where = {} } = {}) {
    return new Promise((resolve, reject) => {
      const waiter = {
        check() {
          for (let i = from; i < log.length; i++) {
            const e = log[i];
            if (e.type === type && Object.entries(where).every(([k, v]) => e[k] === v)) {
              waiters.delete(waiter);
              clearTimeout(timer);
              resolve(e);
              return;
            }
          }
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const seen = log.slice(from).map((e) => e.type).join(', ');
        reject(new Error(`farEnd: no '${type}' event within ${timeout} ms (seen: ${seen || 'nothing'})`));
      }, timeout);
      waiters.add(waiter);
      waiter.check();
    });
  }

  /** The audio direction of an SDP body: the first m=audio section's, else the session's. */
  function sdpDirection(sdp) {
    if (typeof sdp !== 'string' || sdp.length === 0) return null;
    const sections = sdp.split(/\r?\nm=/);
    const audio = sections.slice(1).find((s) => s.startsWith('audio'));
    const find = (text) => {
      const m = /(?:^|\n)a=(sendrecv|sendonly|recvonly|inactive)\b/.exec(text ?? '');
      return m ? m[1] : null;
    };
    return find(audio) ?? find(sections[0]) ?? 'sendrecv';
  }

  const TELEPHONE_EVENT = /^a=rtpmap:(\d+) telephone-event\//im;

  /** Whether an SDP body offers RFC 4733 telephone-event. */
  function hasTelephoneEvent(sdp) {
    return TELEPHONE_EVENT.test(sdp ?? '');
  }

  /** The SDP without telephone-event: the peer then has to send DTMF by SIP INFO. */
  function withoutTelephoneEvent(sdp) {
    const lines = sdp.split(/\r?\n/);
    const pts = new Set();
    for (const line of lines) {
      const m = /^a=rtpmap:(\d+) telephone-event\//i.exec(line);
      if (m) pts.add(m[1]);
    }
    return lines
      .filter((line) => {
        const m = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)\s/.exec(line);
        return !(m && pts.has(m[1]));
      })
      .map((line) => {
        if (!line.startsWith('m=audio ')) return line;
        const [m, port, proto, ...fmts] = line.split(' ');
        return [m, port, proto, ...fmts.filter((f) => !pts.has(f))].join(' ');
      })
      .join('\r\n');
  }

  /**
   * The SDP with G.729 as the only audio format (what a desk phone might offer): every other
   * payload type and its attributes are removed. JsSIP's own connection keeps its real offer;
   * only the INVITE carries this one.
   */
  function g729Only(sdp) {
    const out = [];
    for (const line of sdp.split(/\r?\n/)) {
      if (line.startsWith('m=audio ')) {
        const [m, port, proto] = line.split(' ');
        out.push(`${m} ${port} ${proto} 18`, 'a=rtpmap:18 G729/8000');
      } else if (!/^a=(?:rtpmap|fmtp|rtcp-fb):\d+\s/.test(line)) {
        out.push(line);
      }
    }
    return out.join('\r\n');
  }

  function statusOf(message) {
    return message && typeof message.status_code === 'number' ? message.status_code : null;
  }

  function entry(id) {
    const key = id ?? current;
    const found = sessions.get(key);
    if (!found) throw new Error(`farEnd: no session ${key ?? '(none yet)'}`);
    return found;
  }

  /** Feeds the remote audio into a muted <audio> (Chromium renders WebRTC audio into WebAudio only then) and an AnalyserNode. */
  function attachRemoteAudio(s, track) {
    if (track.kind !== 'audio') return;
    if (!s.audio) {
      audioContext ??= new AudioContext();
      void audioContext.resume();
      const stream = new MediaStream();
      const element = document.createElement('audio');
      element.muted = true;
      element.autoplay = true;
      element.dataset.session = String(s.id);
      document.body.appendChild(element);
      s.audio = { stream, element, analyser: null, source: null };
    }
    const a = s.audio;
    if (a.stream.getTrackById(track.id)) return;
    a.stream.addTrack(track);
    a.element.srcObject = a.stream;
    void a.element.play().catch(() => {});
    a.source?.disconnect();
    a.source = audioContext.createMediaStreamSource(a.stream);
    a.analyser ??= audioContext.createAnalyser();
    a.analyser.fftSize = 2048;
    a.source.connect(a.analyser);
    record('remoteTrack', { session: s.id, trackId: track.id });
  }

  function watchConnection(s, pc) {
    if (!pc || s.pc === pc) return;
    s.pc = pc;
    pc.addEventListener('track', (ev) => attachRemoteAudio(s, ev.track));
    for (const receiver of pc.getReceivers()) {
      if (receiver.track && receiver.track.readyState === 'live' && s.confirmed) attachRemoteAudio(s, receiver.track);
    }
  }

  /** The first `a=ice-ufrag` of an SDP: an ICE restart changes it. */
  function iceUfrag(sdp) {
    return /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? null;
  }

  function noteRemoteOffer(s, sdp, via) {
    const direction = sdpDirection(sdp);
    if (!direction) return;
    record('remoteSdp', { session: s.id, via, direction });
    const held = direction === 'sendonly' || direction === 'inactive';
    if (held && !s.remoteHeld) {
      s.remoteHeld = true;
      record('hold', { session: s.id, originator: 'remote', direction });
    } else if (!held && s.remoteHeld) {
      s.remoteHeld = false;
      record('unhold', { session: s.id, originator: 'remote', direction });
    }
  }

  function adopt(session, originator, request) {
    const id = nextSessionId++;
    const s = { id, session, originator, remoteHeld: false, confirmed: false, audio: null, pc: null };
    sessions.set(id, s);
    current = id;

    session.on('peerconnection', (e) => watchConnection(s, e.peerconnection));
    if (session.connection) watchConnection(s, session.connection);

    session.on('sdp', (e) => {
      if (e.originator === 'local' && options.stripTelephoneEvent) e.sdp = withoutTelephoneEvent(e.sdp);
      // Media through a UDP relay (tests/e2e/lib/udprelay.mjs): the peer's SDP tells JsSIP to
      // send to the relay, ours tells the peer to.
      if (options.relay) e.sdp = viaRelay(e.sdp, e.originator === 'remote' ? options.relay.farSide : options.relay.sdkSide);
      if (e.originator === 'local' && e.type === 'offer' && s.g729Only) e.sdp = g729Only(e.sdp);
      record('sdp', {
        session: id,
        originator: e.originator,
        sdpType: e.type,
        direction: sdpDirection(e.sdp),
        telephoneEvent: hasTelephoneEvent(e.sdp),
      });
    });
    session.on('progress', (e) =>
      record('progress', { session: id, originator: e.originator, status: statusOf(e.response) }));
    session.on('accepted', (e) =>
      record('accepted', { session: id, originator: e.originator, status: statusOf(e.response) }));
    session.on('confirmed', (e) => {
      s.confirmed = true;
      record('confirmed', { session: id, originator: e.originator });
      for (const receiver of s.pc?.getReceivers() ?? []) {
        if (receiver.track) attachRemoteAudio(s, receiver.track);
      }
    });
    session.on('ended', (e) => {
      record('ended', { session: id, originator: e.originator, cause: e.cause, status: statusOf(e.message) });
      finish(s);
    });
    session.on('failed', (e) => {
      const status = statusOf(e.message);
      if (e.originator === 'remote' && e.cause === JsSIP.C.causes.CANCELED) {
        record('cancel', { session: id });
      }
      const warning = e.message?.getHeader?.('Warning') ?? null;
      record('ended', { session: id, originator: e.originator, cause: e.cause, status, warning, failed: true });
      finish(s);
    });
    session.on('hold', (e) => {
      if (e.originator === 'local') record('hold', { session: id, originator: 'local' });
    });
    session.on('unhold', (e) => {
      if (e.originator === 'local') record('unhold', { session: id, originator: 'local' });
    });
    session.on('reinvite', (e) => {
      if (s.refuseReinvites) {
        record('reinvite', { session: id, direction: sdpDirection(e.request.body), refused: s.refuseReinvites });
        e.reject({ status_code: s.refuseReinvites });
        return;
      }
      record('reinvite', { session: id, direction: sdpDirection(e.request.body), iceUfrag: iceUfrag(e.request.body) });
      noteRemoteOffer(s, e.request.body, 'reinvite');
    });
    session.on('update', (e) => {
      record('update', {
        session: id,
        body: Boolean(e.request.body),
        sessionExpires: e.request.getHeader('Session-Expires') ?? null,
      });
      if (e.request.body) noteRemoteOffer(s, e.request.body, 'update');
    });
    session.on('newDTMF', (e) =>
      record('dtmf', { session: id, originator: e.originator, tone: e.dtmf.tone, duration: e.dtmf.duration }));
    session.on('newInfo', (e) =>
      record('info', {
        session: id,
        originator: e.originator,
        contentType: e.info.contentType,
        body: e.info.body,
      }));
    session.on('refer', (e) => {
      record('refer', { session: id, referTo: e.request.refer_to?.uri?.toString() ?? null });
      if (!options.acceptRefer) {
        e.reject();
        return;
      }
      // Follow it: the new call is ours to watch like any other (event 'outgoing').
      const { mediaConstraints, pcConfig } = window.farEnd;
      e.accept((next) => adopt(next, 'local', null), { mediaConstraints, pcConfig });
    });
    // An INVITE with Replaces for this session: take it (the new session then rings as
    // 'incoming'; JsSIP ends this one once the new one is confirmed).
    session.on('replaces', (e) => {
      record('replaces', { session: id });
      e.accept();
    });

    const details = { session: id, originator };
    if (request) {
      details.from = request.from.uri.toString();
      details.fromDisplayName = request.from.display_name ?? null;
      details.to = request.to.uri.toString();
      details.callId = request.call_id;
      details.direction = sdpDirection(request.body);
      details.iceUfrag = iceUfrag(request.body);
      // The INVITE's X- headers as JsSIP parsed them: { name: raw value }.
      details.xHeaders = Object.fromEntries(Object.entries(request.headers ?? {})
        .filter(([name]) => /^x-/i.test(name)).map(([name, values]) => [name, values[0]?.raw ?? null]));
    }
    record(originator === 'remote' ? 'incoming' : 'outgoing', details);
    return s;
  }

  function finish(s) {
    if (s.audio) {
      s.audio.source?.disconnect();
      s.audio.element.srcObject = null;
      s.audio.element.remove();
    }
    if (current === s.id) {
      current = [...sessions.values()].reverse().find((o) => o !== s && !o.session.isEnded())?.id ?? current;
    }
  }

  /** Runs JsSIP's hold()/unhold() and waits for its re-INVITE to complete. */
  function reoffer(s, verb, opts = {}) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`farEnd: ${verb} re-INVITE got no answer`)), 10000);
      const started = s.session[verb](opts, () => {
        clearTimeout(timer);
        resolve(true);
      });
      if (!started) {
        clearTimeout(timer);
        reject(new Error(`farEnd: cannot ${verb} now (state, or another re-INVITE pending)`));
      }
    });
  }

  /** The SDP with one ICE candidate, 127.0.0.1:port (UDP), in place of all of its own. */
  function viaRelay(sdp, port) {
    const lines = sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates');
    const out = [];
    for (const l of lines) {
      if (l.startsWith('m=audio ')) out.push(l.replace(/^m=audio \d+/, `m=audio ${port}`));
      else if (l.startsWith('c=IN IP4 ')) out.push('c=IN IP4 127.0.0.1');
      else out.push(l);
      if (l.startsWith('a=ice-pwd:')) out.push(`a=candidate:1 1 udp 2122260223 127.0.0.1 ${port} typ host generation 0`);
    }
    return out.join('\r\n');
  }

  function rms(s) {
    const analyser = s.audio?.analyser;
    if (!analyser) return 0;
    const buf = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    return Math.sqrt(sum / buf.length);
  }

  window.farEnd = {
    /**
     * Starts the user agent. config: { wsUrl, sipUri, authorizationUser, password,
     * displayName?, register? (true), registerExpires? (600), iceServers? ([]),
     * audioProcessing? (false: no echo cancellation / noise suppression / AGC), timeout? (10000),
     * stripTelephoneEvent? (false: true removes RFC 4733 from the SDP JsSIP sends, so the peer
     * must fall back to SIP INFO DTMF), sessionTimers? (false: true turns on JsSIP's RFC 4028
     * session timers, refreshed by UPDATE), relay? ({ sdkSide, farSide }: UDP ports of a relay
     * both ends' media must go through: the SDP each side receives names only the relay) }.
     * Resolves { registered: true } (or { registered: false } when register is false);
     * rejects with the registrationFailed cause and status.
     */
    async start(config) {
      if (ua) throw new Error('farEnd: already started');
      options = { stripTelephoneEvent: config.stripTelephoneEvent === true, acceptRefer: config.acceptRefer === true, relay: config.relay ?? null };
      const socket = new JsSIP.WebSocketInterface(config.wsUrl);
      ua = new JsSIP.UA({
        sockets: [socket],
        uri: config.sipUri,
        authorization_user: config.authorizationUser,
        password: config.password,
        display_name: config.displayName,
        register: config.register !== false,
        register_expires: config.registerExpires ?? 600,
        session_timers: config.sessionTimers === true,
        connection_recovery_min_interval: 1,
        connection_recovery_max_interval: 2,
      });
      this.pcConfig = { iceServers: config.iceServers ?? [] };
      // Echo cancellation, noise suppression and AGC reshape a steady test tone: off by default.
      const processing = config.audioProcessing === true;
      this.mediaConstraints = {
        audio: { echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing },
        video: false,
      };
      const from = log.length;
      ua.on('connected', () => record('connected'));
      ua.on('disconnected', (e) => record('disconnected', { error: Boolean(e.error) }));
      ua.on('registered', (e) => record('registered', { status: statusOf(e.response) }));
      ua.on('unregistered', (e) => record('unregistered', { status: statusOf(e.response) }));
      ua.on('registrationFailed', (e) =>
        record('registrationFailed', { cause: e.cause, status: statusOf(e.response) }));
      ua.on('newRTCSession', (e) => {
        if (e.originator === 'remote') adopt(e.session, 'remote', e.request);
      });
      ua.on('newMessage', (e) => {
        if (e.originator === 'remote') {
          record('message', {
            from: e.request.from.uri.toString(),
            body: e.request.body,
            contentType: e.request.getHeader('Content-Type'),
          });
          if (refuseMessages) e.message.reject({ status_code: refuseMessages });
        }
      });
      ua.start();
      if (config.register === false) {
        await waitFor('connected', { from, timeout: config.timeout ?? 10000 });
        return { registered: false };
      }
      const outcome = await Promise.race([
        waitFor('registered', { from, timeout: config.timeout ?? 10000 }),
        waitFor('registrationFailed', { from, timeout: config.timeout ?? 10000 }),
      ]);
      if (outcome.type === 'registrationFailed') {
        // Leave nothing running: a refused UA must not linger or retry.
        ua.stop();
        ua = null;
        throw new Error(`registration failed: ${outcome.cause} (${outcome.status})`);
      }
      return { registered: true };
    },

    /** Unregisters and closes the WebSocket; resolves once disconnected. */
    async stop() {
      if (!ua) return;
      let from = log.length;
      if (ua.isRegistered()) {
        // Un-REGISTER first: ua.stop() with a transaction in flight lingers 2 s before closing.
        ua.unregister();
        await waitFor('unregistered', { from, timeout: 5000 }).catch(() => {});
        await new Promise((r) => setTimeout(r, 0));
        from = log.length;
      }
      ua.stop();
      await waitFor('disconnected', { from, timeout: 5000 }).catch(() => {});
      ua = null;
    },

    /** Whether JsSIP considers itself registered. */
    isRegistered() {
      return Boolean(ua?.isRegistered());
    },

    /**
     * Calls target (an extension such as '1002' or a SIP URI); returns the session id.
     * g729Only: the INVITE offers G.729 alone, a codec no browser has.
     */
    call(target, { extraHeaders = [], g729Only: onlyG729 = false, sessionTimersExpires } = {}) {
      if (!ua) throw new Error('farEnd: not started');
      const session = ua.call(target, {
        mediaConstraints: this.mediaConstraints,
        pcConfig: this.pcConfig,
        extraHeaders,
        sessionTimersExpires,
      });
      const s = adopt(session, 'local', null);
      s.g729Only = onlyG729 === true;
      return s.id;
    },

    /** Answers the current (or given) incoming session with audio. */
    answer(sessionId) {
      entry(sessionId).session.answer({
        mediaConstraints: this.mediaConstraints,
        pcConfig: this.pcConfig,
      });
    },

    /** Rejects an incoming session with a final status (486 by default). */
    reject(status = 486, sessionId) {
      entry(sessionId).session.terminate({ status_code: status });
    },

    /** Ends the session whatever its state (CANCEL, reject or BYE as JsSIP sees fit). */
    hangup(sessionId) {
      const s = entry(sessionId);
      if (!s.session.isEnded()) s.session.terminate();
    },

    /** Puts the session on hold (re-INVITE a=sendonly); resolves when the re-INVITE succeeds. */
    hold(sessionId, opts = {}) {
      return reoffer(entry(sessionId), 'hold', opts);
    },

    /** A new offer for the same session (opts.useUpdate: by UPDATE); resolves when answered. */
    renegotiate(sessionId, opts = {}) {
      return reoffer(entry(sessionId), 'renegotiate', opts);
    },

    /** Refuses the session's re-INVITEs from now on with `status` (0: accepts them again). */
    refuseReinvites(status, sessionId) {
      entry(sessionId).refuseReinvites = status;
      return { ok: true };
    },

    /** Resumes the session (re-INVITE a=sendrecv); resolves when the re-INVITE succeeds. */
    unhold(sessionId, opts = {}) {
      return reoffer(entry(sessionId), 'unhold', opts);
    },

    /** Sends DTMF tones as SIP INFO (application/dtmf-relay). */
    sendDTMF(tones, { duration = 100, interToneGap = 70 } = {}, sessionId) {
      entry(sessionId).session.sendDTMF(tones, { transportType: 'INFO', duration, interToneGap });
    },

    /** Whether a REFER received from now on is followed (true) or declined (JsSIP: NOTIFY 603). */
    acceptRefer(accept) {
      options.acceptRefer = accept === true;
    },

    /**
     * Sends a transfer (REFER) to target; with replacesSession, an attended one whose Refer-To
     * replaces that session's dialog. The subscriber's progress is logged as 'referProgress'.
     */
    refer(target, sessionId, replacesSession) {
      const s = entry(sessionId);
      const note = (what) => (e) =>
        record('referProgress', { session: s.id, what, status: e?.status_line?.status_code ?? statusOf(e?.response) });
      s.session.refer(target, {
        replaces: replacesSession ? entry(replacesSession).session : undefined,
        eventHandlers: {
          requestSucceeded: note('requestSucceeded'),
          requestFailed: note('requestFailed'),
          trying: note('trying'),
          progress: note('progress'),
          accepted: note('accepted'),
          failed: note('failed'),
        },
      });
    },

    /**
     * Sends an out-of-dialog MESSAGE (`contentType` default text/plain); its outcome is the
     * `messageSent` or `messageFailed` record, with the status.
     */
    sendMessage(target, body, contentType) {
      if (!ua) throw new Error('farEnd: not started');
      ua.sendMessage(target, body, {
        contentType,
        eventHandlers: {
          succeeded: (e) => record('messageSent', { status: statusOf(e.response) }),
          failed: (e) => record('messageFailed', { cause: e.cause, status: statusOf(e.response) }),
        },
      });
    },

    /** Refuses the MESSAGEs that come from now on with `status` (null: answer 200 again). */
    refuseMessages(status) {
      refuseMessages = status;
    },

    /** Sends a text/plain MESSAGE inside the session's dialog; outcome recorded as above. */
    sendDialogMessage(body, sessionId) {
      entry(sessionId).session.sendRequest('MESSAGE', {
        extraHeaders: ['Content-Type: text/plain'],
        body,
        eventHandlers: {
          onSuccessResponse: (r) => record('messageSent', { status: statusOf(r) }),
          onErrorResponse: (r) => record('messageFailed', { status: statusOf(r) }),
        },
      });
    },


    /** Current session state: { id, originator, status, remoteHeld, localHold, muted, ended }. */
    session(sessionId) {
      const s = entry(sessionId);
      const held = s.session.isOnHold();
      return {
        id: s.id,
        originator: s.originator,
        status: s.session.status,
        established: s.session.isEstablished(),
        ended: s.session.isEnded(),
        remoteHeld: s.remoteHeld,
        localHold: held.local,
      };
    },

    /** Id of the most recent live session (or null). */
    currentSession() {
      return current;
    },

    /** RMS (0..1) of the remote audio right now. */
    remoteEnergy(sessionId) {
      return rms(entry(sessionId));
    },

    /** Highest RMS over windowMs, sampled every 20 ms (the default fake mic only beeps). */
    async peakEnergy(windowMs = 600, sessionId) {
      const s = entry(sessionId);
      let peak = 0;
      const end = performance.now() + windowMs;
      while (performance.now() < end) {
        peak = Math.max(peak, rms(s));
        await new Promise((r) => setTimeout(r, 20));
      }
      return peak;
    },

    /** The event log (a copy), optionally from an index. */
    events(from = 0) {
      return log.slice(from);
    },

    /** Number of events logged so far: pass it as `from` to wait for what comes next. */
    mark() {
      return log.length;
    },

    waitFor,
  };
})();
