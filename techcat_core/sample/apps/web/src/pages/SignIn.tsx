import { useState } from "react";

export function SignIn() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  if (sent) return <p role="status">Check your inbox: we sent a sign-in link to {email}. It works for 15 minutes.</p>;
  return (
    <form onSubmit={async (e) => { e.preventDefault(); await fetch("/api/auth/magic-link", { method: "POST", body: JSON.stringify({ email }) }); setSent(true); }}>
      <label htmlFor="email">Email address</label>
      <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <button type="submit">Send me a sign-in link</button>
    </form>
  );
}
