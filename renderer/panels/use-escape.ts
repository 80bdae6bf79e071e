// Escape closes a dialog wherever the focus is (a form's own key handler only hears it
// while one of its fields has the focus, which a dialog just opened often has not).

import { useEffect } from 'react';

export function useEscape(close: () => void, enabled = true): void {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      close();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [close, enabled]);
}
