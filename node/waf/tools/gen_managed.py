import json, sys
import os
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "managed") + "/"

def tt(*types):
    return [{"Priority": i, "Type": t} for i, t in enumerate(types or ("NONE",))]

QARGS = {"AllQueryArguments": {}}
BODY = {"Body": {"OversizeHandling": "CONTINUE"}}
URI = {"UriPath": {}}
QS = {"QueryString": {}}
COOKIES = {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}
COOKIE_VALUES = {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}
HEADERS = {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}
JSON_ALL = {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL",
                         "InvalidFallbackBehavior": "EVALUATE_AS_STRING", "OversizeHandling": "CONTINUE"}}
def header(n): return {"SingleHeader": {"Name": n}}

def rx1(field, pattern, tts):
    return {"RegexMatchStatement": {"RegexString": pattern, "FieldToMatch": field, "TextTransformations": tt(*tts)}}
def rx(field, pattern, tts):
    """One regex, or an OR of regexes when the alternatives exceed the
    512-character limit AWS (and the compiler) puts on a pattern."""
    alts = pattern if isinstance(pattern, list) else [pattern]
    chunks, cur = [], []
    for a in alts:
        if cur and len("|".join(cur + [a])) > 500:
            chunks.append(cur); cur = []
        cur.append(a)
    chunks.append(cur)
    stmts = [rx1(field, "|".join(c), tts) for c in chunks]
    for c in chunks:
        assert len("|".join(c)) <= 512, c
    return stmts[0] if len(stmts) == 1 else OR(*stmts)
def sqli(field, tts, level="LOW"):
    return {"SqliMatchStatement": {"FieldToMatch": field, "TextTransformations": tt(*tts), "SensitivityLevel": level}}
def xss(field, tts):
    return {"XssMatchStatement": {"FieldToMatch": field, "TextTransformations": tt(*tts)}}
def size(field, op, n):
    return {"SizeConstraintStatement": {"FieldToMatch": field, "ComparisonOperator": op, "Size": n, "TextTransformations": tt("NONE")}}
def byte(field, s, pos, tts=("NONE",)):
    return {"ByteMatchStatement": {"SearchString": s, "FieldToMatch": field, "TextTransformations": tt(*tts), "PositionalConstraint": pos}}
def OR(*s): return {"OrStatement": {"Statements": list(s)}}
def AND(*s): return {"AndStatement": {"Statements": list(s)}}
def NOT(s): return {"NotStatement": {"Statement": s}}

IS_JSON = byte(header("content-type"), "json", "CONTAINS", ("LOWERCASE",))
def body_aware(make):
    """JSON bodies are inspected element by element (keys and values), other
    bodies as text: the JSON punctuation around a value is not an injection."""
    return OR(AND(IS_JSON, make(JSON_ALL)), AND(NOT(IS_JSON), make(BODY)))

def rule(name, label, stmt, prio, action="Block"):
    return {"Name": name, "Priority": prio, "Statement": stmt, "Action": {action: {}},
            "RuleLabels": [{"Name": label}],
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}}

def group(rules):
    return [rule(n, l, s, i * 10, *a) for i, (n, l, s, *a) in enumerate(rules)]

DEC = ("URL_DECODE", "HTML_ENTITY_DECODE")
DEC2 = ("URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE")

# --- Core rule set --------------------------------------------------------
BAD_BOTS = r"(?:^|[^a-z0-9])(?:nessus|nmap|nikto|sqlmap|masscan|zgrab|dirbuster|gobuster|wpscan|acunetix|netsparker|w3af|havij|zmeu|openvas|nuclei|ffuf|wfuzz|arachni|skipfish|jorgee|paros|whatweb|commix|fimap|morfeus|libwww-perl/[0-9]|python-httpx/0\.0|brutus|hydra)(?:[^a-z0-9]|$)"
METADATA = r"169\.254\.169\.254|169\.254\.170\.2(?:[^0-9]|$)|2852039166|0xa9\.?0?xfe\.?0?xa9\.?0?xfe|0xa9fea9fe|0251\.0376\.0251\.0376|fd00:ec2::254|instance-data(?:\.ec2\.internal)?|/latest/(?:meta-data|user-data|api/token)"
TRAVERSAL = r"(?:[/\\]\.){3,}[/\\]|(?:^|[/\\=\s'\"])\.\.+(?:[/\\]|;/|$)|[/\\]\.\.+(?:[/\\;]|$)|(?-u:\xc0[\xae\xaf]|\xc1\x9c|\xe0\x80\xae)|\x00"
LFI_FILES = r"(?:^|[=\s'\"/\\])(?:etc[/\\](?:passwd|shadow|group|hosts|issue|crontab|sudoers)|proc[/\\]self[/\\]|windows[/\\](?:win\.ini|system32)|boot\.ini|[a-z]:[/\\](?:windows|winnt|inetpub|boot\.ini)|(?:php|file|zip|phar|expect)://)"
EXT = r"\.(?:log|ini|bak|backup|old|orig|swp|sql|conf|cfg|env|htaccess|htpasswd|pem|key|db|sqlite|mdb|dat|tmp|inc|passwd|git|svn)(?:$|[/;?#&])"
RFI = r"(?:https?|ftps?|file)://(?:[^/@\s]*@)?\[?(?:[0-9]{1,3}\.){3}[0-9]{1,3}"

XSS_EXTRA = [
    r"<[a-z][a-z0-9:-]*\b[^>]*?\bon[a-z]{3,}[\s/]*=",
    r"<\s*/?\s*(?:script|iframe|frame|object|embed|applet|meta|base|layer|ilayer|bgsound|svg|isindex|xml|vmlframe|import)\b",
    r"\bdata:\s*(?:text/html|application/(?:x-)?xhtml|image/svg\+xml)",
    r"['\"`;}\)]\s*[;+\-]?\s*(?:alert|prompt|confirm|eval)\s*[\(`]",
    r"(?:^|[\s'\"=(])(?:javascript|vbscript|livescript|mocha)\s*:",
]
XSS_SCHEME = r"(?:java|vb|live)script:|mocha:"
XSS_T = ("URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "JS_DECODE", "REMOVE_NULLS", "LOWERCASE")
def xss_any(field):
    """The built-in XSS statement, then our patterns for vectors
    libinjection lets through (unknown event handlers, nested tags,
    script URLs split by white space, data: HTML, breaking out of a string
    into a call)."""
    return OR(xss(field, DEC), rx(field, XSS_EXTRA, XSS_T), rx(field, XSS_SCHEME, XSS_T[:-1] + ("REMOVE_WHITESPACE", "LOWERCASE")))

crs = group([
    ("NoUserAgent_HEADER", "NoUserAgent_Header", NOT(size(header("user-agent"), "GT", 0))),
    ("UserAgent_BadBots_HEADER", "BadBots_Header", rx(header("user-agent"), BAD_BOTS, ("LOWERCASE",))),
    ("SizeRestrictions_QUERYSTRING", "SizeRestrictions_QueryString", size(QS, "GT", 2048)),
    ("SizeRestrictions_Cookie_HEADER", "SizeRestrictions_Cookie_Header", size(header("cookie"), "GT", 10240)),
    ("SizeRestrictions_BODY", "SizeRestrictions_Body", size(BODY, "GT", 8192)),
    ("SizeRestrictions_URIPATH", "SizeRestrictions_URIPath", size(URI, "GT", 1024)),
    ("EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_Body", rx(BODY, METADATA, DEC2 + ("LOWERCASE",))),
    ("EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_Cookie", rx(COOKIES, METADATA, DEC2 + ("LOWERCASE",))),
    ("EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_URIPath", rx(URI, METADATA, DEC2 + ("LOWERCASE",))),
    ("EC2MetaDataSSRF_QUERYARGUMENTS", "EC2MetaDataSSRF_QueryArguments", rx(QARGS, METADATA, DEC2 + ("LOWERCASE",))),
    ("GenericLFI_QUERYARGUMENTS", "GenericLFI_QueryArguments", OR(rx(QARGS, TRAVERSAL, DEC2), rx(QARGS, LFI_FILES, DEC2 + ("LOWERCASE",)))),
    ("GenericLFI_URIPATH", "GenericLFI_URIPath", OR(rx(URI, TRAVERSAL, DEC2), rx(URI, LFI_FILES, DEC2 + ("LOWERCASE",)))),
    ("GenericLFI_BODY", "GenericLFI_Body", body_aware(lambda f: OR(rx(f, TRAVERSAL, DEC2), rx(f, LFI_FILES, DEC2 + ("LOWERCASE",))))),
    ("RestrictedExtensions_URIPATH", "RestrictedExtensions_URIPath", rx(URI, EXT, DEC2 + ("LOWERCASE",))),
    ("RestrictedExtensions_QUERYARGUMENTS", "RestrictedExtensions_QueryArguments", rx(QARGS, EXT, DEC2 + ("LOWERCASE",))),
    ("GenericRFI_QUERYARGUMENTS", "GenericRFI_QueryArguments", rx(QARGS, RFI, DEC2 + ("LOWERCASE",))),
    ("GenericRFI_BODY", "GenericRFI_Body", body_aware(lambda f: rx(f, RFI, DEC2 + ("LOWERCASE",)))),
    ("GenericRFI_URIPATH", "GenericRFI_URIPath", rx(URI, RFI, DEC2 + ("LOWERCASE",))),
    ("CrossSiteScripting_COOKIE", "CrossSiteScripting_Cookie", xss_any(COOKIE_VALUES)),
    ("CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_QueryArguments", xss_any(QARGS)),
    ("CrossSiteScripting_BODY", "CrossSiteScripting_Body", body_aware(xss_any)),
    ("CrossSiteScripting_URIPATH", "CrossSiteScripting_URIPath", xss_any(URI)),
])

# --- Known bad inputs -----------------------------------------------------
JAVA = r"java\.lang\.(?:runtime|processbuilder|system|class)|getruntime\(\)|\.exec\s*\(|class\.module\.classloader|classloader\.(?:resources|urls|parent)|spring\.cloud\.function\.routing-expression|\bt\s*\(\s*java\.|aced0005|objectinputstream|ysoserial|java\.beans\.xmldecoder|commons\.collections\.functors|javax\.script\.scriptenginemanager|invokertransformer|javax\.naming\.initialcontext"
JAVA_B64 = r"rO0AB[A-Za-z0-9+/]"
LOG4J = r"\$\{[^}\n]{0,80}\$\{|\$\{\s*j\s*n\s*d\s*i\s*:|\$\{\s*(?:lower|upper|env|sys|java|date|main|ctx|k8s|docker|bundle|spring|log4j|jvmrunargs|web|marker|map|sd|event|base64)\s*:|\$\{[^}\n]{0,40}:-[a-z]\}|\$\{\s*(?:ldaps?|rmi|dns|iiop|corba|nds|nis)\s*:"
LOG4J_T = ("URL_DECODE_UNI", "URL_DECODE_UNI", "JS_DECODE", "HTML_ENTITY_DECODE", "LOWERCASE")
HOST_LOCAL = r"^\s*(?:localhost|127(?:\.[0-9]{1,3}){3}|0\.0\.0\.0|0+|\[?::1\]?|\[?0:0:0:0:0:0:0:1\]?)(?::[0-9]+)?\.?\s*$"
EXPLOITABLE = r"(?:^|/)(?:web-inf|meta-inf|\.git|\.svn|\.hg|\.bzr|\.aws|\.ssh|\.env|cgi-bin/[^/]*\.(?:sh|pl|cgi)|phpmyadmin|server-status|server-info|jmx-console|invoker/jmxinvokerservlet|manager/html|wp-config\.php|\.ds_store|\.idea|\.vscode)(?:$|[/;.?])"

def java(field):
    return OR(rx(field, JAVA, ("URL_DECODE_UNI", "HTML_ENTITY_DECODE", "COMPRESS_WHITE_SPACE", "LOWERCASE")), rx(field, JAVA_B64, ("URL_DECODE",)))

kbi = group([
    ("JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_Header", java(HEADERS)),
    ("JavaDeserializationRCE_BODY", "JavaDeserializationRCE_Body", body_aware(java)),
    ("JavaDeserializationRCE_URIPATH", "JavaDeserializationRCE_URIPath", java(URI)),
    ("JavaDeserializationRCE_QUERYSTRING", "JavaDeserializationRCE_QueryString", java(QS)),
    ("Host_localhost_HEADER", "Host_Localhost_Header", rx(header("host"), HOST_LOCAL, ("LOWERCASE",))),
    ("PROPFIND_METHOD", "Propfind_Method", byte({"Method": {}}, "PROPFIND", "EXACTLY", ("UPPERCASE",))),
    ("ExploitablePaths_URIPATH", "ExploitablePaths_URIPath", rx(URI, EXPLOITABLE, ("URL_DECODE_UNI", "NORMALIZE_PATH_WIN", "LOWERCASE"))),
    ("Log4JRCE_HEADER", "Log4JRCE_Header", rx(HEADERS, LOG4J, LOG4J_T)),
    ("Log4JRCE_QUERYSTRING", "Log4JRCE_QueryString", rx(QS, LOG4J, LOG4J_T)),
    ("Log4JRCE_BODY", "Log4JRCE_Body", body_aware(lambda f: rx(f, LOG4J, LOG4J_T))),
    ("Log4JRCE_URIPATH", "Log4JRCE_URIPath", rx(URI, LOG4J, LOG4J_T)),
])

# --- SQL database ---------------------------------------------------------
EXTENDED = [
    r'\b(?:sleep|benchmark|pg_sleep|randomblob)\s*\(',
    r'\bwaitfor\s+(?:delay|time)\b',
    r'\bunion\b(?:\s|/\*.*?\*/|\+)+(?:all\s+|distinct\s+)?select\b',
    r'\b(?:information_schema|sysobjects|syscolumns|pg_catalog|sqlite_master|mysql\.user)\b',
    r'\b(?:load_file|extractvalue|updatexml|utl_inaddr\.get_host_address|dbms_pipe\.receive_message)\s*\(',
    r'\binto\s+(?:out|dump)file\b',
    r'\bxp_cmdshell\b',
    r';\s*(?:drop|truncate|shutdown|declare|alter)\s|;\s*exec(?:ute)?\s+(?:master\.|xp_|sp_)|;\s*(?:insert\s+into|update\s+[a-z0-9_.]+\s+set|delete\s+from)\b',
    r'[\'\"`]\s*(?:or|and|xor|\|\||&&)\s+[(]?\s*[\'\"0-9a-z_]+\s*(?:=|<|>|like\b|is\b|regexp\b)|[\'\"`]\s*\)*\s*(?:--|#)[\s-]*$|[\'\"`)]\s*/\*',
    r'\bselect\b.{1,100}?\bfrom\b.{1,100}?\bwhere\b',
    r'\border\s+by\s+[0-9]+\s*(?:--|#|/\*)',
    r'\b(?:char|chr|concat|concat_ws|group_concat|ascii|substring|substr|mid|hex|unhex)\s*\(\s*(?:0x|[0-9]+\s*[,)]|select\b)',
    r'@@(?:version|datadir|hostname)\b',
    r'\b(?:or|and|xor|having|where)\s+\(?\s*[0-9]+\s*(?:=|<>|!=|\blike\b)\s*\(?\s*[0-9]+',
    r'\b(?:or|and|xor|having)\s+[a-z_][a-z0-9_]*\s*=\s*[a-z_][a-z0-9_]*\s*(?:--|#|/\*|$)',
    r'\b(?:or|and)\s+(?:true|false)\s*(?:--|#|/\*)',
    r'\border\s+by\s+[0-9]+\b',
    r'\b(?:rlike|regexp)\s*\(\s*select\b|\bcase\s+when\b.{1,80}?\bthen\b',
    r'\bas\s+[a-z_][a-z0-9_]*\s+where\s',
]
SQL_T = ("URL_DECODE", "HTML_ENTITY_DECODE")
SQL_XT = ("URL_DECODE", "HTML_ENTITY_DECODE", "REPLACE_COMMENTS", "COMPRESS_WHITE_SPACE", "LOWERCASE")

sql = group([
    ("SQLi_QUERYARGUMENTS", "SQLi_QueryArguments", sqli(QARGS, SQL_T)),
    ("SQLiExtendedPatterns_QUERYARGUMENTS", "SQLiExtendedPatterns_QueryArguments", rx(QARGS, EXTENDED, SQL_XT)),
    ("SQLi_BODY", "SQLi_Body", body_aware(lambda f: sqli(f, SQL_T))),
    ("SQLiExtendedPatterns_BODY", "SQLiExtendedPatterns_Body", body_aware(lambda f: rx(f, EXTENDED, SQL_XT))),
    ("SQLi_COOKIE", "SQLi_Cookie", sqli(COOKIE_VALUES, SQL_T)),
])

# --- Amazon IP reputation list -------------------------------------------
def ipset(name): return {"IPSetReferenceStatement": {"ARN": "apigw:managed:ipset:" + name}}
iprep = group([
    ("AWSManagedIPReputationList", "AWSManagedIPReputationList", ipset("AWSManagedIPReputationList")),
    ("AWSManagedReconnaissanceList", "AWSManagedReconnaissanceList", ipset("AWSManagedReconnaissanceList")),
    ("AWSManagedIPDDoSList", "AWSManagedIPDDoSList", ipset("AWSManagedIPDDoSList"), "Count"),
])

for fname, rules in [("common.json", crs), ("known_bad_inputs.json", kbi), ("sqli.json", sql), ("ip_reputation.json", iprep)]:
    with open(OUT + fname, "w") as f:
        json.dump(rules, f, indent=1)
        f.write("\n")
print("ok", len(crs), len(kbi), len(sql), len(iprep))

# --- RULES.md --------------------------------------------------------------
DETECTS = {
    "NoUserAgent_HEADER": "a missing or empty `User-Agent` header",
    "UserAgent_BadBots_HEADER": "scanner and attack-tool user agents as a whole word: nessus, nmap, nikto, sqlmap, masscan, zgrab, dirbuster, gobuster, wpscan, acunetix, netsparker, w3af, havij, zmeu, openvas, nuclei, ffuf, wfuzz, arachni, skipfish, jorgee, paros, whatweb, commix, fimap, morfeus, hydra, brutus, old libwww-perl",
    "SizeRestrictions_QUERYSTRING": "a query string over 2,048 bytes",
    "SizeRestrictions_Cookie_HEADER": "a `Cookie` header over 10,240 bytes",
    "SizeRestrictions_BODY": "a body over 8 KB (8,192 bytes); bodies beyond the inspection limit count as their inspected part, which is at least 16 KB",
    "SizeRestrictions_URIPATH": "a URI path over 1,024 bytes",
    "EC2MetaDataSSRF_BODY": "the instance metadata service in any spelling: 169.254.169.254 (dotted, decimal 2852039166, hex, octal), fd00:ec2::254, instance-data, the ECS task endpoint 169.254.170.2, and `/latest/meta-data`, `/latest/user-data`, `/latest/api/token` paths",
    "GenericLFI_QUERYARGUMENTS": "path traversal (`../`, `..\\`, `..;/`, runs of `/./`, overlong UTF-8 dots and slashes, NUL bytes) and well-known targets (`etc/passwd`, `etc/shadow`, `proc/self/`, `windows/win.ini`, `boot.ini`, `C:\\inetpub`...), and `php://`, `file://`, `zip://`, `phar://`, `expect://` wrappers, after up to two rounds of URL decoding",
    "RestrictedExtensions_URIPATH": "system-file extensions at the end of a path segment or value: .log .ini .bak .backup .old .orig .swp .sql .conf .cfg .env .htaccess .htpasswd .pem .key .db .sqlite .mdb .dat .tmp .inc .passwd .git .svn",
    "GenericRFI_QUERYARGUMENTS": "URLs (http, https, ftp, ftps, file) whose host is an IPv4 address",
    "CrossSiteScripting_COOKIE": "XSS: libinjection's HTML5 detector, plus event-handler attributes on any tag (`<x onxxx=`), script-capable tags (script, iframe, object, embed, svg, meta, base...), `data:` HTML/SVG, breaking out of a string into alert/prompt/confirm/eval, and javascript:/vbscript:/livescript:/mocha: URLs even when split by white space",
    "JavaDeserializationRCE_HEADER": "Java gadget and expression-injection markers: java.lang.Runtime / ProcessBuilder, getRuntime(), .exec(, Spring4Shell's class.module.classLoader, spring.cloud.function.routing-expression, SpEL `T(java.`, serialized-object magic (hex aced0005, base64 rO0AB), ObjectInputStream, ysoserial, XMLDecoder, commons-collections functors, InvokerTransformer, ScriptEngineManager, InitialContext",
    "Host_localhost_HEADER": "a `Host` of localhost, 127.x.x.x, 0.0.0.0, 0 or ::1 (with or without a port). NB: a gateway reached as localhost is blocked by this rule, as AWS's is",
    "PROPFIND_METHOD": "the WebDAV `PROPFIND` method",
    "ExploitablePaths_URIPATH": "paths to server internals: WEB-INF, META-INF, .git, .svn, .hg, .bzr, .aws, .ssh, .env, .DS_Store, .idea, .vscode, cgi-bin scripts, phpMyAdmin, server-status / server-info, jmx-console, JMXInvokerServlet, Tomcat manager/html, wp-config.php",
    "Log4JRCE_HEADER": "Log4Shell lookups: `${jndi:` (with spaces), nested lookups (`${${lower:j}ndi:`, `${j${::-n}di:`), lookup prefixes (lower, upper, env, sys, java, date, main, ctx, k8s, docker, bundle, spring, log4j, jvmrunargs, web, marker, map, sd, event, base64), one-letter defaults (`${x:-j}`) and protocol lookups (ldap, ldaps, rmi, dns, iiop, corba, nds, nis), after double URL decoding, %u, JS and HTML-entity decoding",
    "SQLi_QUERYARGUMENTS": "SQL injection: libinjection's tokenizer and fingerprints (the SQLi statement at LOW sensitivity)",
    "SQLiExtendedPatterns_QUERYARGUMENTS": "SQL the fingerprints miss: time functions (sleep, benchmark, pg_sleep, waitfor delay), UNION SELECT across comments, catalog tables, file functions, stacked statements, quote-then-boolean or quote-then-comment, SELECT...FROM...WHERE, ORDER BY n, string-building functions on hex or numbers, @@version, numeric and identifier tautologies after OR/AND/HAVING/WHERE, CASE WHEN, RLIKE (SELECT",
    "AWSManagedIPReputationList": "the client IP in the operator's reputation list (`IpReputationLists::reputation`)",
    "AWSManagedReconnaissanceList": "the client IP in the operator's reconnaissance list",
    "AWSManagedIPDDoSList": "the client IP in the operator's DDoS list (action Count, as AWS's)",
}
SAME = {"EC2MetaDataSSRF_COOKIE": "EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_URIPATH": "EC2MetaDataSSRF_BODY",
        "EC2MetaDataSSRF_QUERYARGUMENTS": "EC2MetaDataSSRF_BODY", "GenericLFI_URIPATH": "GenericLFI_QUERYARGUMENTS",
        "GenericLFI_BODY": "GenericLFI_QUERYARGUMENTS", "RestrictedExtensions_QUERYARGUMENTS": "RestrictedExtensions_URIPATH",
        "GenericRFI_BODY": "GenericRFI_QUERYARGUMENTS", "GenericRFI_URIPATH": "GenericRFI_QUERYARGUMENTS",
        "CrossSiteScripting_QUERYARGUMENTS": "CrossSiteScripting_COOKIE", "CrossSiteScripting_BODY": "CrossSiteScripting_COOKIE",
        "CrossSiteScripting_URIPATH": "CrossSiteScripting_COOKIE", "JavaDeserializationRCE_BODY": "JavaDeserializationRCE_HEADER",
        "JavaDeserializationRCE_URIPATH": "JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_QUERYSTRING": "JavaDeserializationRCE_HEADER",
        "Log4JRCE_QUERYSTRING": "Log4JRCE_HEADER", "Log4JRCE_BODY": "Log4JRCE_HEADER", "Log4JRCE_URIPATH": "Log4JRCE_HEADER",
        "SQLi_BODY": "SQLi_QUERYARGUMENTS", "SQLi_COOKIE": "SQLi_QUERYARGUMENTS", "SQLiExtendedPatterns_BODY": "SQLiExtendedPatterns_QUERYARGUMENTS"}

def components(st, acc):
    for k, v in st.items():
        if k == "FieldToMatch":
            name = next(iter(v))
            if name == "SingleHeader":
                name = "header `%s`" % v[name]["Name"]
            elif name in ("Cookies", "Headers"):
                name = "%s (%s)" % (name, v[name]["MatchScope"].lower())
            elif name == "JsonBody":
                name = "JsonBody (JSON requests)"
            elif name == "Body":
                name = "Body" + (" (other requests)" if '"JsonBody"' in json.dumps(st) else "")
            if name not in acc:
                acc.append(name)
        elif isinstance(v, dict):
            components(v, acc)
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, dict):
                    components(x, acc)
    return acc

def transforms_of(st, acc):
    for k, v in st.items():
        if k == "TextTransformations":
            t = " > ".join(x["Type"] for x in v if x["Type"] != "NONE") or "none"
            if t not in acc:
                acc.append(t)
        elif isinstance(v, dict):
            transforms_of(v, acc)
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, dict):
                    transforms_of(x, acc)
    return acc

GROUP_INFO = [("AWSManagedRulesCommonRuleSet", "core-rule-set", 700, crs), ("AWSManagedRulesKnownBadInputsRuleSet", "known-bad-inputs", 200, kbi),
              ("AWSManagedRulesSQLiRuleSet", "sql-database", 200, sql), ("AWSManagedRulesAmazonIpReputationList", "amazon-ip-list", 25, iprep)]
doc = ["# Managed rule groups: what each rule detects", "",
       "AWS does not publish the patterns behind its managed rules. apigw-waf runs the four groups below under",
       "AWS's group names, rule names, labels, default actions and published capacities, with **our own** rules:",
       "ordinary wafv2 statements in `src/managed/*.json`, written by `tools/gen_managed.py` (which also writes",
       "this file). Each rule inspects what AWS documents it inspects (query arguments, body, cookies, URI path,",
       "headers); bodies are inspected up to the web ACL's body limit with oversize handling CONTINUE, JSON",
       "bodies (a `Content-Type` containing `json`) element by element, other bodies as text. Version names",
       "`Version_1.x` are accepted and all run these rules. Detection and false-positive rates are measured by",
       "`tests/corpus.rs` (see README.md).", ""]
for gname, label, cap, rules in GROUP_INFO:
    doc += ["## %s" % gname, "", "Capacity %d WCUs; labels `awswaf:managed:aws:%s:<label>`." % (cap, label), "",
            "| Rule | Action | Inspects | Transformations | Detects | Label |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rules:
        n = r["Name"]
        act = next(iter(r["Action"]))
        det = DETECTS.get(n) or ("as " + SAME[n])
        insp = ", ".join(components(r["Statement"], [])) or "client IP"
        tts = "; ".join(transforms_of(r["Statement"], [])) or "-"
        doc.append("| %s | %s | %s | %s | %s | `%s` |" % (n, act, insp, tts.replace("|", "\\|"), det.replace("|", "\\|"), r["RuleLabels"][0]["Name"]))
    doc.append("")
with open(os.path.join(OUT, "..", "..", "RULES.md"), "w") as f:
    f.write("\n".join(doc))
print("RULES.md written")
