import ipaddr from 'ipaddr.js';

/**
 * Which IP addresses an outbound media fetch may connect to. The rule is an
 * allowlist: only ordinary public unicast. Everything else (loopback, private,
 * link-local incl. cloud metadata 169.254.169.254, CGNAT, multicast,
 * documentation, reserved) is refused.
 *
 * Addresses that embed an IPv4 address are unwrapped or refused:
 * - IPv4-mapped `::ffff:a.b.c.d` reaches the IPv4 host on dual-stack sockets,
 *   so it is judged as that IPv4 address;
 * - NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16), Teredo (2001::/32)
 *   and IPv4-translated (::ffff:0:0:0/96) can tunnel to an internal IPv4 host
 *   through a gateway we cannot see, and no media host needs them: refused
 *   outright (ipaddr.js gives each its own non-unicast range).
 */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

export function isPublicAddress(ip: string): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(stripBrackets(ip));
  } catch {
    return false;
  }
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().range() === 'unicast';
    // ipaddr.js calls IPv4-compatible ::a.b.c.d and other odd corners of ::/8
    // "unicast"; IANA only hands out global unicast from 2000::/3.
    return v6.range() === 'unicast' && v6.match(GLOBAL_UNICAST_V6);
  }
  return addr.range() === 'unicast';
}

/**
 * The IP address a URL hostname names literally, or undefined for a DNS name.
 * Node never resolves a literal, so a custom DNS lookup cannot vet it: callers
 * must check literals themselves. The WHATWG parser already rewrites
 * `2130706433`, `0x7f.1` and `127.1` to `127.0.0.1`; the legacy IPv4 forms are
 * still recognised here for hostnames that did not come through `new URL`.
 */
export function parseHostLiteral(hostname: string): string | undefined {
  const host = stripBrackets(hostname);
  if (ipaddr.IPv6.isValid(host)) return ipaddr.IPv6.parse(host).toString();
  if (ipaddr.IPv4.isValid(host)) return ipaddr.IPv4.parse(host).toString();
  return undefined;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
