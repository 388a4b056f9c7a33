// Observes what every SIP stack on the page does on the wire, the same way for each:
// WebSocket open times and the first line of every frame sent, and live RTCPeerConnections.
(function () {
  'use strict';
  const wire = { opens: [], sends: [], recvs: [] };
  const NativeWebSocket = window.WebSocket;
  class ObservedWebSocket extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => wire.opens.push(performance.now()));
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string') return;
        const end = e.data.indexOf('\r\n');
        const cseq = /\r\n(?:CSeq|cseq):\s*\d+\s+(\w+)/.exec(e.data);
        wire.recvs.push({ t: performance.now(), line: end < 0 ? e.data : e.data.slice(0, end), method: cseq ? cseq[1] : '' });
      });
    }
    send(data) {
      if (typeof data === 'string') {
        const end = data.indexOf('\r\n');
        wire.sends.push({ t: performance.now(), line: end < 0 ? data : data.slice(0, end) });
      }
      return super.send(data);
    }
  }
  window.WebSocket = ObservedWebSocket;

  const peers = new Set();
  const NativePeerConnection = window.RTCPeerConnection;
  class ObservedPeerConnection extends NativePeerConnection {
    constructor(...args) {
      super(...args);
      peers.add(this);
    }
  }
  window.RTCPeerConnection = ObservedPeerConnection;

  // The engine's linear memory, whoever instantiates a wasm module on this page.
  const memories = [];
  const keep = (result) => {
    const exports = (result.instance || result).exports;
    // By value, not by the name `memory`: the shipped engine's exports have short names.
    const memory = exports && Object.values(exports).find((x) => x instanceof WebAssembly.Memory);
    if (memory) memories.push(memory);
    return result;
  };
  const nativeStreaming = WebAssembly.instantiateStreaming;
  const nativeInstantiate = WebAssembly.instantiate;
  WebAssembly.instantiateStreaming = (...a) => nativeStreaming.apply(WebAssembly, a).then(keep);
  WebAssembly.instantiate = (...a) => nativeInstantiate.apply(WebAssembly, a).then(keep);

  window.probe = {
    /** Bytes of every wasm linear memory instantiated on the page. */
    wasmMemoryBytes() {
      return memories.reduce((n, m) => n + m.buffer.byteLength, 0);
    },
    /** First 200 OK to a REGISTER received at or after t. */
    registeredAfter(t) {
      const hit = wire.recvs.find((r) => r.t >= t && r.method === 'REGISTER' && /^SIP\/2\.0 200/.test(r.line));
      return hit ? hit.t : undefined;
    },
    wire,
    /** Peer connections created on this page and not closed yet. */
    livePeers() {
      let n = 0;
      for (const pc of peers) {
        if (pc.signalingState === 'closed') peers.delete(pc);
        else n += 1;
      }
      return n;
    },
    /** First WebSocket open at or after t. */
    openAfter(t) {
      return wire.opens.find((x) => x >= t);
    },
    /** First frame sent at or after t whose first line starts with prefix. */
    sentAfter(t, prefix) {
      const hit = wire.sends.find((s) => s.t >= t && s.line.startsWith(prefix));
      return hit ? hit.t : undefined;
    },
  };
})();
