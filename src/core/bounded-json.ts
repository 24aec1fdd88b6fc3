/**
 * JSON.parse with the nesting bounded before it runs. V8 parses deep nesting, but every
 * recursive walk after it (JSON.stringify in an error message, a structural check) dies
 * with "Maximum call stack size exceeded"; files a user hands us never nest deeply, so a
 * depth beyond `maxDepth` is refused up front as one clear problem.
 */

/** The deepest nesting of [ and { in `text`, outside strings; stops counting past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Parses `text`, or returns why not (too deep, or not JSON) as a short phrase. */
export function parseBoundedJson(
  text: string,
  maxDepth: number,
): { value: unknown } | { problem: string } {
  if (jsonDepth(text, maxDepth) > maxDepth)
    return { problem: `nests deeper than ${maxDepth} levels` };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { problem: 'is not valid JSON' };
  }
}
