# Reads section-2 manual pages (groff source, each preceded by a ".PCFILE name" line) and prints
# one table line per syscall argument: POLICY_SYSCALL_ARG("name", index, "arg", is_pointer)
# Prototypes come from the SYNOPSIS; a raw-syscall prototype (`long syscall(SYS_x, ...)`, or a
# `long x(...)` prototype inside an example block of NOTES, as clone(2) gives) beats the glibc
# wrapper's; otherwise the page named after the function, then the prototype with the most arguments
# (open(2)) wins.

# The text of a man macro line: quoted and bare tokens joined, font escapes removed.
function macro_text(line,    out, i, c, inq) {
  sub(/^\.[A-Z]+[ \t]*/, "", line)
  out = ""; inq = 0
  for (i = 1; i <= length(line); i++) {
    c = substr(line, i, 1)
    if (c == "\"") { inq = !inq; continue }
    if (!inq && (c == " " || c == "\t")) continue
    out = out c
  }
  return out
}
function clean(t) {
  gsub(/\\f[A-Z]/, "", t); gsub(/\\f\(..?/, "", t); gsub(/\\-/, "-", t); gsub(/\\~/, " ", t)
  gsub(/\\ /, " ", t); gsub(/\\&/, "", t); gsub(/\\c/, "", t)
  return t
}
function strip_comments(t,    s, e) {
  while ((s = index(t, "/*")) > 0) {
    e = index(substr(t, s + 2), "*/")
    if (e == 0) { t = substr(t, 1, s - 1); break }
    t = substr(t, 1, s - 1) " " substr(t, s + 2 + e + 1)
  }
  return t
}
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
# Records the prototype `name(args)`; kind 1 = raw syscall, 0 = wrapper.
function record(name, args, kind,    parts, n, i, depth, c, cur, a, argname, ptr, cnt, score, m, names, ptrs) {
  n = 0; depth = 0; cur = ""
  for (i = 1; i <= length(args); i++) {
    c = substr(args, i, 1)
    if (c == "(" || c == "[") depth++
    if (c == ")" || c == "]") depth--
    if (c == "," && depth == 0) { parts[++n] = cur; cur = ""; continue }
    cur = cur c
  }
  if (trim(cur) != "") parts[++n] = cur
  if (name == "syscall") {
    if (n < 1 || trim(parts[1]) !~ /^SYS_[a-z0-9_]+$/) return
    name = substr(trim(parts[1]), 5); kind = 1
    for (i = 1; i < n; i++) parts[i] = parts[i + 1]
    n--
  }
  cnt = 0; names = ""; ptrs = ""
  for (i = 1; i <= n; i++) {
    a = trim(parts[i])
    if (a == "..." || a == "void" || a == "") break
    ptr = (a ~ /\*/ || a ~ /\[/) ? 1 : 0
    if (match(a, /\(\*[ \t]*[A-Za-z_][A-Za-z0-9_]*/)) {
      argname = substr(a, RSTART + 2, RLENGTH - 2); argname = trim(argname)
    } else {
      sub(/\[.*$/, "", a)
      if (!match(a, /[A-Za-z_][A-Za-z0-9_]*[ \t]*$/)) return
      argname = trim(substr(a, RSTART, RLENGTH))
    }
    if (argname ~ /^(int|long|char|void|unsigned|const|size_t)$/ || argname ~ /^[A-Z][A-Z0-9_]+$/) return
    cnt++
    names = names (cnt > 1 ? " " : "") argname
    ptrs = ptrs (cnt > 1 ? " " : "") ptr
    if (cnt == 6) break
  }
  # raw prototypes: the first one given (clone(2) lists x86-64's first); wrappers: the page named
  # after the function first, then the most arguments.
  score = kind * 100 + (name == page ? 50 : 0) + (kind ? 0 : cnt)
  if (name in best && best[name] >= score) return
  best[name] = score; argnames[name] = names; argptrs[name] = ptrs
}
function scan(text, kind,    rest, name, start, i, depth, c, after) {
  rest = strip_comments(text)
  while (match(rest, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
    name = trim(substr(rest, RSTART, RLENGTH - 1))
    start = RSTART + RLENGTH
    depth = 1
    for (i = start; i <= length(rest) && depth > 0; i++) {
      c = substr(rest, i, 1)
      if (c == "(") depth++
      else if (c == ")") depth--
    }
    if (depth != 0) return
    after = substr(rest, i)
    if (after ~ /^[ \t]*;/) {
      record(name, substr(rest, start, i - start - 1), kind)
      rest = after
    } else {
      rest = substr(rest, start)
    }
  }
}
function flush() {
  if (synopsis != "") scan(synopsis, 0)
  if (raw != "") scan(raw, 1)
  synopsis = ""; raw = ""
}
/^\.PCFILE / {
  flush(); section = ""; inex = 0; cont = 0
  page = $2; sub(/^.*\//, "", page); sub(/\.2\.gz$/, "", page)
  next
}
/^\.SH / { section = $2; gsub(/"/, "", section); next }
/^\.EX/ { inex = 1; next }
/^\.EE/ { inex = 0; next }
{
  if (section == "SYNOPSIS") {
    if ($0 ~ /^\.(BI|B|BR|IR|RI|I) / || cont) {
      t = cont ? macro_text(".X " $0) : macro_text($0)
      cont = ($0 ~ /\\$/)
      sub(/\\$/, "", t)
      synopsis = synopsis " " clean(t)
    }
  } else if (section == "NOTES" && inex) {
    if ($0 ~ /^\.BI "long [a-z_0-9]+\(/) { inraw = 1 }
    if (inraw) {
      t = macro_text($0); sub(/\\$/, "", t)
      raw = raw " " clean(t)
      if (t ~ /\);/) { inraw = 0; raw = raw " " }
    }
  }
}
END {
  flush()
  for (name in best) {
    n = split(argnames[name], an, " "); split(argptrs[name], ap, " ")
    for (i = 1; i <= n; i++)
      printf "POLICY_SYSCALL_ARG(\"%s\", %d, \"%s\", %s)\n", name, i - 1, an[i], ap[i] == 1 ? "true" : "false"
  }
}
