export function Logo() {
  return (
    <a href="/" className="logo" aria-label="Pawprint home">
      <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
        <circle cx="12" cy="15" r="5" /><circle cx="5" cy="9" r="2.2" /><circle cx="9.5" cy="5" r="2.2" />
        <circle cx="14.5" cy="5" r="2.2" /><circle cx="19" cy="9" r="2.2" />
      </svg>
      <span>Pawprint</span>
    </a>
  );
}
