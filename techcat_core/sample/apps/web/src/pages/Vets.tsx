import { useEffect, useState } from "react";
import { api, type Vet } from "../api/client";

export function Vets() {
  const [specialty, setSpecialty] = useState("");
  const [vets, setVets] = useState<Vet[]>([]);
  useEffect(() => void api.vets(specialty || undefined).then(setVets), [specialty]);
  return (
    <section>
      <h1>Our vets</h1>
      <label>
        Specialty
        <select value={specialty} onChange={(e) => setSpecialty(e.target.value)}>
          <option value="">Any</option><option>dentistry</option><option>exotics</option><option>surgery</option>
        </select>
      </label>
      <ul>{vets.map((v) => <li key={v.id}><a href={`/book?vet=${v.id}`}>{v.name}</a> — {v.specialties.join(", ")}</li>)}</ul>
    </section>
  );
}
