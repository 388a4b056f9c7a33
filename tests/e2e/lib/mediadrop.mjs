// Drops a call's media, not its signalling, with nftables: every UDP packet, and every TCP
// packet that is neither to nor from the given ports (Kamailio's WebSocket, the gateway), so
// ICE cannot move to a TCP candidate pair either. Only inside a private network namespace
// (`unshare -n`, as scripts/test runs the e2e suites as root): the host's firewall is never
// touched.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TABLE = 'klink_e2e_media_drop';
const NFT = process.env.NFT_BIN ?? 'nft';

/** Why media cannot be dropped here (not root, not a private namespace, no nft), or null. */
export function mediaDropUnavailable() {
  if (process.getuid?.() !== 0) return 'needs root (run inside `unshare -n` as root)';
  // /proc/net/dev is the namespace's own (/sys/class/net is whatever sysfs was mounted with).
  const links = readFileSync('/proc/net/dev', 'utf8')
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0].trim())
    .filter(Boolean);
  if (links.some((l) => l !== 'lo')) {
    return `not a private network namespace (interfaces: ${links.join(', ')}): refusing to drop UDP on the host`;
  }
  try {
    execFileSync(NFT, ['--version'], { stdio: 'ignore' });
  } catch {
    return 'nft is not installed (scripts/setup installs nftables)';
  }
  return null;
}

/** Starts dropping media; `keepPorts` are the TCP ports of the signalling. */
export function dropMedia(keepPorts) {
  const ports = keepPorts.join(', ');
  const rules = [
    `table inet ${TABLE} {`,
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    meta l4proto udp counter drop',
    `    tcp sport != { ${ports} } tcp dport != { ${ports} } counter drop`,
    '  }',
    '}',
  ].join('\n');
  execFileSync(NFT, ['-f', '-'], { input: rules });
}

/** Stops dropping (nothing happens when no drop is in place). */
export function restoreMedia() {
  try {
    execFileSync(NFT, ['delete', 'table', 'inet', TABLE], { stdio: 'ignore' });
  } catch {
    // Not there: nothing to restore.
  }
}

/** How many packets the drop rules discarded so far: evidence the rules hit media. */
export function droppedPackets() {
  const text = execFileSync(NFT, ['list', 'table', 'inet', TABLE], { encoding: 'utf8' });
  return [...text.matchAll(/packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}
