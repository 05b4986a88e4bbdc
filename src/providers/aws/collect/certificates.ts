/**
 * Signing certificates carry no expiry field in the IAM API; the expiry is in the certificate
 * itself. The body is a public X.509 certificate (never a private key), parsed only for dates.
 */
import { X509Certificate } from "node:crypto";

export interface CertificateFacts {
  notBefore: string;
  notAfter: string;
  /** e.g. "rsa-2048", "ec-prime256v1". */
  algorithm: string | undefined;
}

function algorithmOf(certificate: X509Certificate): string | undefined {
  const key = certificate.publicKey;
  const type = key.asymmetricKeyType;
  if (!type) return undefined;
  const details = key.asymmetricKeyDetails;
  if (details?.modulusLength) return `${type}-${details.modulusLength}`;
  if (details?.namedCurve) return `${type}-${details.namedCurve}`;
  return type;
}

/** Reads validity dates from a PEM certificate; undefined when the body is not a certificate. */
export function certificateFacts(pem: string): CertificateFacts | undefined {
  try {
    const certificate = new X509Certificate(pem);
    return {
      notBefore: new Date(certificate.validFrom).toISOString(),
      notAfter: new Date(certificate.validTo).toISOString(),
      algorithm: algorithmOf(certificate),
    };
  } catch {
    return undefined;
  }
}
