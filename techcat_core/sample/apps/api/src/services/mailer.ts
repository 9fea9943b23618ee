import nodemailer from "nodemailer";

const transport = nodemailer.createTransport(process.env.SMTP_URL);

export async function sendMail(to: string, subject: string, text: string): Promise<void> {
  await transport.sendMail({ from: "Pawprint <hello@pawprint.vet>", to, subject, text });
}
