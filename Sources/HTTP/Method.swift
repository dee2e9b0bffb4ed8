// Request methods the server recognises. Unknown tokens get 501 (RFC 9110 §9.1); CONNECT
// and PRI are recognised but not implemented (no tunnels, no HTTP/2 preface).

public enum Method {
    /// The methods of the IANA HTTP Method Registry plus the common unregistered ones
    /// (PURGE, SOURCE, M-SEARCH...) so that a router can answer 405 rather than 501.
    static let recognised: Set<String> = [
        "ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "CONNECT", "COPY", "DELETE",
        "GET", "HEAD", "LABEL", "LINK", "LOCK", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL",
        "MKREDIRECTREF", "MKWORKSPACE", "MOVE", "OPTIONS", "ORDERPATCH", "PATCH", "POST", "PRI",
        "PROPFIND", "PROPPATCH", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "TRACE", "UNBIND",
        "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE", "UPDATEREDIRECTREF", "VERSION-CONTROL",
        "PURGE", "SOURCE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "MSEARCH",
    ]

    static let notImplemented: Set<String> = ["CONNECT", "PRI"]
}
