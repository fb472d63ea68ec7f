// Whether a person-written text (an override reason) says anything a reader can see.
//
// Unicode files some blank-looking characters under letters or symbols (U+3164 HANGUL FILLER
// is Lo, U+2800 BRAILLE PATTERN BLANK is So), so a category test alone lets them through.
// Strip what renders as nothing — white space, format and control characters, default-ignorable
// code points (fillers, zero-width joiners, variation selectors) and the braille blank — then
// ask for one letter, digit, punctuation mark or symbol.

const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

export function hasVisibleText(text: string): boolean {
  return VISIBLE.test(text.replace(INVISIBLE, ''));
}
