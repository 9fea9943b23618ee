import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
const hours = { mon_fri: ["08:30", "18:00"], sat: ["09:00", "13:00"], lunch: ["12:30", "13:30"] };

await prisma.clinic.create({
  data: {
    name: "Riverside Veterinary Clinic", timezone: "Europe/Amsterdam", openingHours: hours,
    vets: { create: [
      { name: "Dr. Anika de Vries", specialties: ["general", "dentistry"] },
      { name: "Dr. Tomás Ortega", specialties: ["general", "exotics"] },
      { name: "Dr. Lena Brandt", specialties: ["surgery"] },
    ] },
  },
});
await prisma.clinic.create({
  data: {
    name: "Old Town Animal Practice", timezone: "Europe/Amsterdam", openingHours: hours,
    vets: { create: [
      { name: "Dr. Sam Okafor", specialties: ["general", "dermatology"] },
      { name: "Dr. Mira Janssen", specialties: ["general", "cardiology"] },
    ] },
  },
});
