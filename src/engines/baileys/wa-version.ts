/**
 * The WhatsApp Web version new sockets present. Configured, or the latest
 * one WhatsApp Web serves (fetched once, when the first socket is about to
 * be made, so a gateway without WhatsApp numbers never calls out), with the
 * version bundled in Baileys as the fallback while the fetch is pending or
 * when it fails (offline). A retired version closes every connection with 405.
 */
import { fetchLatestWaWebVersion, type WAVersion } from 'baileys';
import type { Logger } from 'pino';

/** A version, `latest` (fetched) or `bundled` (Baileys' own, never fetched). */
export type VersionSetting = WAVersion | 'latest' | 'bundled';

export type FetchLatest = (options: RequestInit) => Promise<{ version: WAVersion; isLatest: boolean; error?: unknown }>;

export class WhatsAppVersion {
  private fetched: WAVersion | undefined;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly setting: VersionSetting,
    private readonly logger: Logger,
    private readonly fetchLatest: FetchLatest = fetchLatestWaWebVersion,
    private readonly timeoutMs = 10_000,
  ) {}

  /** The version for a new socket; undefined: Baileys' bundled one. Under `latest` the first call starts the fetch. */
  current(): WAVersion | undefined {
    if (Array.isArray(this.setting)) return this.setting;
    if (this.setting === 'latest') this.pending ??= this.fetch();
    return this.fetched;
  }

  /** Settles once a fetch that was started has ended. */
  async settled(): Promise<void> {
    await this.pending;
  }

  private async fetch(): Promise<void> {
    const found = await this.fetchLatest({ signal: AbortSignal.timeout(this.timeoutMs) }).catch((error: unknown) => ({
      isLatest: false,
      version: undefined,
      error,
    }));
    if (found.isLatest && found.version !== undefined) {
      this.fetched = found.version;
      this.logger.info({ version: found.version.join('.') }, 'using the latest WhatsApp Web version');
    } else {
      const reason = found.error instanceof Error ? found.error.message : 'no version in the answer';
      this.logger.warn(
        { reason },
        'could not fetch the latest WhatsApp Web version; using the one bundled with Baileys (set CONNEXA_WHATSAPP_VERSION if connections close with 405)',
      );
    }
  }
}
