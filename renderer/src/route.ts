import { useEffect, useState } from 'react';

/** Hash routes (`#/image/12`), so a reload comes back to the same view. */
const parse = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);

export function useRoute(): string[] {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const go = (...parts: (string | number)[]) => {
  location.hash = `#/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;
};
