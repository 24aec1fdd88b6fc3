/**
 * Token data as a DataSource: the built-in corpus (`kjv`), a text file of the user's
 * (`chars:FILE`, `bytes:FILE`, or a plain `FILE.txt`) or token ids (`tokens:DIR`, or a folder
 * holding nanoGPT's train.bin / val.bin or train.npy / val.npy), cut into windows of context + 1
 * tokens (src/data/token-windows.ts). One text is split 90/10 as nanoGPT splits it; a folder's
 * own train and val files are its splits.
 */
import { readDataFile } from './data-file';
import { kjvFile, readKjv } from './kjv';
import type { DataName, DataSource, TokenSet } from './source';
import { tokeniseText, type TextTokeniser } from './text';
import { readTokenFolder, type TokenIdOptions } from './token-ids';
import { checkContext, cutWindows, splitTokens } from './token-windows';

export interface TokenOptions extends TokenIdOptions {
  /** Tokens a window feeds the model (T): each example is T + 1 token ids. */
  context?: number;
  /** The model's own context, when known: a longer `context` is refused. */
  modelContext?: number;
}

export interface LocatedTokens {
  source: DataSource<TokenSet>;
  description: string;
}

/** A text (`kjv`, the built-in corpus, or a file), tokenised by characters or bytes, split 90/10. */
export function readTextSource(
  text: string,
  tokeniser: TextTokeniser,
  options: TokenOptions,
): LocatedTokens {
  const builtIn = text === 'kjv';
  const file = builtIn ? kjvFile() : text;
  const bytes = builtIn ? readKjv(file) : readDataFile(file);
  const tokenised = tokeniseText(bytes, tokeniser, file); // a file that is not text: said first
  const context = checkContext(options.context, options.modelContext);
  const { train, validation } = splitTokens(tokenised.tokens);
  const source: DataSource<TokenSet> = {
    name: builtIn ? 'kjv' : 'text',
    classes: tokenised.vocabularySize,
    train: cutWindows(train, context, file, 'its training split (the first 90%)'),
    test: cutWindows(validation, context, file, 'its validation split (the last 10%)'),
    files: [file],
    tokeniser,
    ...(tokenised.vocabulary && { vocabulary: tokenised.vocabulary }),
  };
  const what = builtIn
    ? `the King James Bible (Debian's bible-kjv-text) in ${file}`
    : `the text ${file}`;
  const unit = tokeniser === 'chars' ? 'characters' : 'bytes';
  return {
    source,
    description: `found ${what}: ${tokenised.tokens.length} ${unit}, vocabulary ${tokenised.vocabularySize} ${unit}; ${windowsLine(source)} (90/10 split)`,
  };
}

/** Token ids in a folder: its own train and validation files. */
export function readTokenSource(dir: string, options: TokenOptions): LocatedTokens {
  const found = readTokenFolder(dir, options);
  const context = checkContext(options.context, options.modelContext);
  const name: DataName = 'tokens';
  const source: DataSource<TokenSet> = {
    name,
    classes: found.vocabularySize,
    train: cutWindows(found.train, context, found.files[0]!, 'the training split'),
    test: cutWindows(found.validation, context, found.files[1]!, 'the validation split'),
    files: found.files,
    tokeniser: 'ids',
  };
  return {
    source,
    description: `found ${found.what} in ${dir} (${found.train.length} train, ${found.validation.length} validation tokens); ${windowsLine(source)}`,
  };
}

function windowsLine(source: DataSource<TokenSet>): string {
  const { train, test } = source;
  return `${train.count} train and ${test.count} validation windows of ${train.context} + 1 tokens`;
}
