// The tenants file as a running service sees it: re-read when it changed, so a key added by
// `cdp keys create` works without a restart. A check is one stat(2); it runs when a caller asks for
// it (an unknown key may be a new one) and otherwise at most once per `recheckMs`.
import { statSync } from 'node:fs';
import { loadTenants, type TenantDirectory } from './tenants';

export class LiveTenants {
  private directory: TenantDirectory;
  private stamp: string;
  private checkedAt: number;
  /** Why the last changed file was not taken (the previous directory stays in use), if it was not. */
  lastError: string | null = null;

  constructor(
    readonly fileName: string,
    private readonly recheckMs = 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.stamp = this.fileStamp();
    this.directory = loadTenants(fileName);
    this.checkedAt = this.now();
  }

  /** The current directory; `recheck` looks at the file now rather than at the next interval. */
  current(recheck = false): TenantDirectory {
    const now = this.now();
    if (recheck || now - this.checkedAt >= this.recheckMs) {
      this.checkedAt = now;
      const stamp = this.fileStamp();
      if (stamp !== this.stamp) this.reload(stamp);
    }
    return this.directory;
  }

  private reload(stamp: string): void {
    try {
      this.directory = loadTenants(this.fileName);
      this.lastError = null;
      this.stamp = stamp;
    } catch (err) {
      // A file being edited by hand may be invalid for a moment: keep serving the last good one,
      // and keep the old stamp so the next check tries again.
      this.lastError = err instanceof Error ? err.message : String(err);
    }
  }

  /** Inode, size and mtime: an atomic replace (rename) changes the inode even within one mtime tick. */
  private fileStamp(): string {
    try {
      const s = statSync(this.fileName, { bigint: true });
      return `${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch {
      return 'missing';
    }
  }
}
