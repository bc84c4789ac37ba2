/**
 * The fixed stopword list (upstream Digester list, 106 words). Words shorter than
 * three UTF-8 bytes are already removed by the length rule; they stay listed so the
 * list reads the same as upstream's.
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'the a an is are was were be been being have has had do does did will would shall should may might must can could ' +
    'of in to for with on at from by about as into through during before after above below between out off over under ' +
    'again further then once here there when where why how all each every both few more most other some such no nor not ' +
    'only own same so than too very just because but and or if while that this these those it its they them their we our ' +
    'you your he she his her which what who whom'
  ).split(' '),
);
