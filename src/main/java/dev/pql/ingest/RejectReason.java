package dev.pql.ingest;

/** Stable codes for source rows that cannot be used; stored in events_rejected.reason. */
public enum RejectReason {
  /** The line could not be parsed as the source format (JSON, CSV). */
  MALFORMED_RECORD,
  MISSING_EVENT_ID,
  MISSING_ACCOUNT_ID,
  /** An enrichment row without a domain to join on. */
  MISSING_DOMAIN,
  MISSING_EVENT_NAME,
  /** An identities row without the anonymous id it links. */
  MISSING_ANONYMOUS_ID,
  /** An identities row without the user it links to. */
  MISSING_USER_ID,
  MISSING_TIMESTAMP,
  /** A timestamp is there but is not a date-time pql can read. */
  UNPARSEABLE_TIMESTAMP,
  /** Before pql.ingest.earliest-timestamp or after the run's start plus pql.ingest.future-tolerance. */
  TIMESTAMP_OUT_OF_RANGE,
  /** The account is not in the account source while pql.ingest.require-known-account is on. */
  UNKNOWN_ACCOUNT
}
