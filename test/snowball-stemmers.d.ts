// Types of snowball-stemmers (Snowball's generated code), which the tokenizer test compares porter2 with.
declare module 'snowball-stemmers' {
  export interface Stemmer {
    stem(word: string): string;
  }
  export function newStemmer(language: string): Stemmer;
  export function algorithms(): string[];
}
