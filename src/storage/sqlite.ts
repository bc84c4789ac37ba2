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

  constructor(dir: string, file: string, schema: string, synchronous: 'NORMAL' | 'FULL') {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, file));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);\n${schema}`);
    this.getMetaSt = this.db.prepare('SELECT v FROM meta WHERE k = ?');
    this.setMetaSt = this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v');
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
