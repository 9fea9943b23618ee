import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";

export type Owner = { id: string; name: string; email: string; pets: { id: string; name: string }[] };

/** The signed-in owner from the HTTP-only session cookie; redirects to /sign-in when required. */
export function useSession({ required = false } = {}) {
  const [owner, setOwner] = useState<Owner | null>(null);
  const navigate = useNavigate();
  useEffect(() => {
    fetch("/api/me", { credentials: "include" }).then(async (res) => {
      if (res.ok) setOwner(await res.json());
      else if (required) navigate("/sign-in");
    });
  }, [required, navigate]);
  return { owner: owner as Owner };
}
