import { useEffect, useState } from "react";
import type { Appointment } from "../api/client";

export function MyAppointments() {
  const [items, setItems] = useState<Appointment[]>([]);
  useEffect(() => void fetch("/api/appointments?mine=1").then((r) => r.json()).then(setItems), []);
  const cancel = (id: string) => fetch(`/api/appointments/${id}`, { method: "PATCH", body: JSON.stringify({ status: "cancelled" }) });
  return (
    <section>
      <h1>My appointments</h1>
      {items.length === 0 && <p>No upcoming visits.</p>}
      <ul>{items.map((a) => <li key={a.id}>{new Date(a.startsAt).toLocaleString()} <a href={`/book?reschedule=${a.id}`}>Reschedule</a> <button onClick={() => cancel(a.id)}>Cancel</button></li>)}</ul>
    </section>
  );
}
