// Renders Prometheus rule groups as YAML with a stable key order (name, interval, rules; record or
// alert, expr, for, labels, annotations) and multi-line expressions as literal blocks, so that the
// generated files read like hand-written ones and diff well. header: comment lines put on top.
local quote(s) = std.escapeStringJson(s);
local block(indent, s) =
  local lines = std.split(std.rstripChars(s, '\n'), '\n');
  '|\n' + std.join('', [(if l == '' then '' else indent + l) + '\n' for l in lines]);
local scalar(indent, v) =
  if std.isString(v) then (if std.length(std.findSubstr('\n', std.rstripChars(v, '\n'))) > 0 || std.endsWith(v, '\n') then block(indent, v) else quote(v) + '\n')
  else std.toString(v) + '\n';
local mapping(indent, obj) =
  std.join('', [indent + k + ': ' + quote(obj[k]) + '\n' for k in std.objectFields(obj)]);
local rule(r) =
  local first = if std.objectHas(r, 'record') then 'record' else 'alert';
  '      - %s: %s\n' % [first, r[first]]
  + '        expr: ' + scalar('          ', r.expr)
  + (if std.objectHas(r, 'for') then '        for: %s\n' % r['for'] else '')
  + (if std.objectHas(r, 'labels') && std.length(r.labels) > 0 then '        labels:\n' + mapping('          ', r.labels) else '')
  + (if std.objectHas(r, 'annotations') then '        annotations:\n' + mapping('          ', r.annotations) else '');
local group(g) =
  '  - name: %s\n' % g.name
  + (if std.objectHas(g, 'interval') then '    interval: %s\n' % g.interval else '')
  + '    rules:\n'
  + std.join('\n', [rule(r) for r in g.rules]);
{
  render(header, groups)::
    std.join('', [(if l == '' then '#' else '# ' + l) + '\n' for l in header])
    + 'groups:\n'
    + std.join('\n', [group(g) for g in groups.groups]),
}
