/**
 * When two captions are the same: texts that differ only in spacing. Rating sessions show such
 * texts once; the rating view finds an edit among an image's captions by it. Node-free.
 */
export const captionKey = (text: string): string => text.trim().replace(/\s+/g, ' ');
