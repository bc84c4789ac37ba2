import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * What the shard and coordinator stores share: a SQLite database in WAL mode in a data directory, and
 * a key/value meta table.
 */
export class SqliteStore {
  readonly db: Database.Database;
  private readonly getMetaSt: Database.Statement;
  protected readonly setMetaSt: Database.Statement;

  /**
   * Open (or create) the database. A database written with another schema version is refused with a
   * message saying so, never read as if it were this one.
   */
  constructor(dir: string, file: string, schema: string, synchronous: 'NORMAL' | 'FULL', version: number) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, file));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);');
    this.getMetaSt = this.db.prepare('SELECT v FROM meta WHERE k = ?');
    this.setMetaSt = this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v');
    const tables = (this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name != 'meta'").get() as { n: number }).n;
    const have = this.meta('schema_version');
    if (have === undefined && tables > 0) {
      this.db.close();
      throw new Error(`${join(dir, file)} was written by an older phago (no schema version; this one writes version ${version}); start from an empty data directory`);
    }
    if (have !== undefined && Number(have) !== version) {
      this.db.close();
      throw new Error(`${join(dir, file)} has schema version ${have}; this phago reads version ${version}; start from an empty data directory`);
    }
    this.db.exec(schema);
    if (have === undefined) this.setMetaSt.run('schema_version', String(version));
  }

  close(): void {
    this.db.close();
  }

  meta(k: string): string | undefined {
    return (this.getMetaSt.get(k) as { v: string } | undefined)?.v;
  }

  setMeta(entries: Record<string, string | number>): void {
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(entries)) this.setMetaSt.run(k, String(v));
    })();
  }
}
