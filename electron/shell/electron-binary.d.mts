/** Where Electron's binary is, or null when it is not installed (never downloads it). */
export function electronBinary(): string | null;
