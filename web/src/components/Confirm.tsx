import { useEffect, useRef, useState } from 'react';
import { useT } from '../i18n/i18n';

/**
 * A button that asks before it acts: the question and Yes/No appear in place, and focus moves
 * to "No" so that Enter never deletes by accident; "No" gives focus back to the button.
 */
export function ConfirmButton({ label, name, question, onConfirm, disabled }: { label: string; name?: string; question: string; onConfirm: () => void; disabled?: boolean }) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  const noRef = useRef<HTMLButtonElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    if (asking) noRef.current?.focus();
    else if (asked.current) buttonRef.current?.focus();
    asked.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className="danger" ref={buttonRef} aria-label={name} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        className="danger"
        onClick={() => {
          asked.current = false;
          setAsking(false);
          onConfirm();
        }}
      >
        {t('action.yes')}
      </button>
      <button type="button" ref={noRef} onClick={() => setAsking(false)}>
        {t('action.no')}
      </button>
    </span>
  );
}
