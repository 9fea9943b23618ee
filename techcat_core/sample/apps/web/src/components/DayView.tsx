export type DayAppointment = { id: string; startsAt: string; status: string; pet: { name: string }; vet: { id: string; name: string } };

/** One column per vet, one row per appointment, in clinic time. */
export function DayView({ appointments }: { appointments: DayAppointment[] }) {
  const byVet = Map.groupBy(appointments, (a) => a.vet.name);
  return (
    <div className="day-view">
      {[...byVet].map(([vet, items]) => (
        <section key={vet} aria-label={vet}>
          <h2>{vet}</h2>
          <ol>{items.map((a) => <li key={a.id} data-status={a.status}>{a.startsAt.slice(11, 16)} {a.pet.name}</li>)}</ol>
        </section>
      ))}
    </div>
  );
}
