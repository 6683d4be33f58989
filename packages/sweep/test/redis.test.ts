import { describe, expect, it } from "vitest";
import { describeRedisError, redisTarget } from "../src/redis";

/** An error as Node's net/tls modules make them: a message and a code. */
function nodeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("describeRedisError", () => {
  const tls = redisTarget("rediss://:pw@127.0.0.1:6380");
  const plain = redisTarget("redis://:pw@127.0.0.1:6380");

  it("says how to trust a self-signed certificate, for good", () => {
    const e = describeRedisError(
      tls,
      nodeError("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT"),
    );
    expect(e.message).toBe(
      "TLS with Redis at rediss://:***@127.0.0.1:6380 failed: the server's certificate is not trusted (self-signed certificate); trust a self-signed certificate, or its CA, by starting snn with NODE_EXTRA_CA_CERTS=ca.pem (the PEM file).",
    );
    expect(e.permanent).toBe(true);
  });

  it("names a certificate for another host", () => {
    const e = describeRedisError(
      tls,
      nodeError(
        "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ",
        "ERR_TLS_CERT_ALTNAME_INVALID",
      ),
    );
    expect(e.message).toMatch(/the server's certificate is not for that host \(Hostname\/IP/);
    expect(e.permanent).toBe(true);
  });

  it("suggests rediss:// when a plain connection is closed by the server (a TLS port)", () => {
    const e = describeRedisError(plain, nodeError("write ECONNRESET", "ECONNRESET"));
    expect(e.message).toBe(
      "cannot use Redis at redis://:***@127.0.0.1:6380: the server closed the connection (ECONNRESET); if that port serves TLS, write rediss:// instead of redis://.",
    );
    expect(e.permanent).toBe(false); // a restarting Redis resets connections too
    expect(describeRedisError(tls, nodeError("read ECONNRESET", "ECONNRESET")).message).toBe(
      "cannot use Redis at rediss://:***@127.0.0.1:6380: the server closed the connection (ECONNRESET).",
    );
  });

  it("keeps the other TLS failures' message", () => {
    expect(
      describeRedisError(tls, new Error("SSL routines::wrong version number")).message,
    ).toMatch(
      /^TLS with Redis at .* failed \(SSL routines::wrong version number\); use rediss:\/\/ only for a TLS port/,
    );
  });
});
