import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite.js';

/** A document a front end (the MCP server) stored: what it needs to show a snippet or the whole text. */
export interface LoggedDocument {
  /** The DocumentId. */
  id: string;
  /** The caller's id, when it gave one. */
  key: string;
  title: string;
  text: string;
  /** Order of arrival (1, 2, …): the most recent document has the largest. */
  seq: number;
}

/**
 * The texts of the documents remembered through one front end, newest last. The colony keeps postings
 * and concepts, not texts it can hand back over the wire; this log keeps them for snippets and resources.
 */
export interface DocumentLog {
  /** Record a document once (the same id again keeps its first record). */
  add(doc: Omit<LoggedDocument, 'seq'>): void;
  get(id: string): LoggedDocument | undefined;
  /** The n most recent documents, newest first. */
  recent(n: number): LoggedDocument[];
  /** Take a document out (forgetting); false when it was not there. */
  delete(id: string): boolean;
  close(): void;
}

export class MemoryDocumentLog implements DocumentLog {
  private readonly docs = new Map<string, LoggedDocument>();
  private seq = 0;

  add(doc: Omit<LoggedDocument, 'seq'>): void {
    if (!this.docs.has(doc.id)) this.docs.set(doc.id, { ...doc, seq: ++this.seq });
  }
  get(id: string): LoggedDocument | undefined {
    return this.docs.get(id);
  }
  recent(n: number): LoggedDocument[] {
    // a Map iterates in insertion order: the newest are at the end
    return [...this.docs.values()].reverse().slice(0, n);
  }
  delete(id: string): boolean {
    return this.docs.delete(id);
  }
  close(): void {}
}

const SCHEMA = 'CREATE TABLE IF NOT EXISTS documents (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, key TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL);';

/** The log in SQLite (documents.sqlite in a data directory), durable once add returns. */
export class SqliteDocumentLog extends SqliteStore implements DocumentLog {
  private readonly addSt: Database.Statement;
  private readonly getSt: Database.Statement;
  private readonly recentSt: Database.Statement;
  private readonly deleteSt: Database.Statement;

  constructor(dir: string) {
    super(dir, 'documents.sqlite', SCHEMA, 'FULL', 1);
    this.addSt = this.db.prepare('INSERT OR IGNORE INTO documents (id, key, title, text) VALUES (?, ?, ?, ?)');
    this.getSt = this.db.prepare('SELECT seq, id, key, title, text FROM documents WHERE id = ?');
    this.recentSt = this.db.prepare('SELECT seq, id, key, title, text FROM documents ORDER BY seq DESC LIMIT ?');
    this.deleteSt = this.db.prepare('DELETE FROM documents WHERE id = ?');
  }

  add(doc: Omit<LoggedDocument, 'seq'>): void {
    this.addSt.run(doc.id, doc.key, doc.title, doc.text);
  }
  get(id: string): LoggedDocument | undefined {
    return this.getSt.get(id) as LoggedDocument | undefined;
  }
  recent(n: number): LoggedDocument[] {
    return this.recentSt.all(n) as LoggedDocument[];
  }
  delete(id: string): boolean {
    return this.deleteSt.run(id).changes > 0;
  }
}
