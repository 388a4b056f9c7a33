// A UDP relay that media between two WebRTC peers is forced through, to delay it with jitter.
//
// Why not netem: this kernel has no `sch_netem` (`tc qdisc add dev lo root netem ...` answers
// "Specified qdisc kind is unknown"), nor NFQUEUE or ifb, so delay and jitter are made here, in
// user space. Loss stays in the kernel (nftables, see lossRule below), which this machine has.
//
// Two sockets on 127.0.0.1: `sdkSide` faces one peer, `farSide` the other. Each peer is told
// (by rewriting the SDP it receives, pages/farend.js `relay`) that the other lives at the
// socket facing it, so ICE checks, DTLS, RTP and RTCP all cross the relay, and a reply leaves
// from the socket the request reached (what ICE requires). Each side's address is learned from
// its first packet; packets before both are known are dropped (ICE retransmits).
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';

export async function startRelay() {
  const bind = () =>
    new Promise((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve(s));
    });
  const [a, b] = await Promise.all([bind(), bind()]);
  let delay = { base: 0, jitter: 0 };
  const peers = { a: null, b: null };
  const counts = { aToB: 0, bToA: 0 };
  const forward = (from, to, key, count) => (msg, rinfo) => {
    peers[key] = rinfo;
    const target = peers[key === 'a' ? 'b' : 'a'];
    if (!target) return;
    counts[count]++;
    const ms = delay.base + (Math.random() * 2 - 1) * delay.jitter;
    const send = () => to.send(msg, target.port, target.address);
    if (ms <= 0) send();
    else setTimeout(send, ms);
  };
  a.on('message', forward(a, b, 'a', 'aToB'));
  b.on('message', forward(b, a, 'b', 'bToA'));
  return {
    sdkSide: a.address().port,
    farSide: b.address().port,
    counts,
    /** Every packet from now on waits base ± jitter ms (uniform), each direction. */
    setDelay(base, jitter) {
      delay = { base, jitter };
    },
    close() {
      a.close();
      b.close();
    },
  };
}

/**
 * Drops `percent` % of the UDP packets sent to `ports` (both relay sockets: each direction
 * loses that share once), with nftables in the test's network namespace. Returns a function
 * that removes the rule. Needs root (the e2e runs as root inside `unshare -n`).
 */
export function lossRule(ports, percent) {
  const nft = (...args) => execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  nft('add', 'table', 'inet', 'klink_quality');
  nft('add', 'chain', 'inet', 'klink_quality', 'out', '{ type filter hook output priority 0 ; }');
  nft('add', 'rule', 'inet', 'klink_quality', 'out', 'udp', 'dport', `{ ${ports.join(', ')} }`,
    'numgen', 'random', 'mod', '100', '<', String(percent), 'drop');
  return () => nft('delete', 'table', 'inet', 'klink_quality');
}

/** Whether nftables can be used here (root, nft installed). */
export function canUseNft() {
  try {
    execFileSync('nft', ['list', 'tables'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
