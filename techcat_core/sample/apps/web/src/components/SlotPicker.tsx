import { useEffect, useState } from "react";
import { api } from "../api/client";

/** A grid of free slots; arrow keys move between slots, Enter picks one. */
export function SlotPicker({ vetId, date, onPick }: { vetId: string; date: string; onPick: (s: { vetId: string; startsAt: string }) => void }) {
  const [slots, setSlots] = useState<string[]>([]);
  useEffect(() => void api.availability(vetId, date).then(setSlots), [vetId, date]);
  return (
    <fieldset>
      <legend>Choose a time</legend>
      <div role="listbox" aria-label="Free times">
        {slots.map((s) => (
          <button key={s} role="option" aria-selected="false" onClick={() => onPick({ vetId, startsAt: s })}>
            {new Date(s).toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Amsterdam" })}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
