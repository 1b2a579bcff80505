/** Whether a listen address reaches this machine only (127.0.0.0/8, ::1, localhost). */
import ipaddr from 'ipaddr.js';

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  try {
    const ip = ipaddr.parse(host);
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) return (ip as ipaddr.IPv6).toIPv4Address().range() === 'loopback';
    return ip.range() === 'loopback';
  } catch {
    return false;
  }
}
