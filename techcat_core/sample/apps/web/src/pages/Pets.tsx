import { useEffect, useState } from "react";

type Pet = { id: string; name: string; species: string; breed?: string; weightKg?: number; vaccinations: { name: string; date: string }[] };

export function Pets() {
  const [pets, setPets] = useState<Pet[]>([]);
  useEffect(() => void fetch("/api/pets").then((r) => r.json()).then(setPets), []);
  return (
    <section>
      <h1>My pets</h1>
      {pets.map((p) => (
        <article key={p.id}>
          <h2>{p.name}</h2>
          <p>{p.species}{p.breed ? `, ${p.breed}` : ""}{p.weightKg ? ` · ${p.weightKg} kg` : ""}</p>
          <ul>{p.vaccinations.map((v) => <li key={v.name}>{v.name}: {v.date}</li>)}</ul>
        </article>
      ))}
    </section>
  );
}
