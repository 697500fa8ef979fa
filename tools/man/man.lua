-- SPDX-License-Identifier: GPL-2.0-or-later
-- pandoc Lua filter for blackbox's man pages (tools/gen-man): docs/ stays
-- the one source, this only adapts it to an 80-column terminal so that
-- `man --warnings` renders every page without a warning.
--  * A table becomes a definition list, a row per item: the first cell is
--    the term, the other cells follow as paragraphs, each led by its
--    column's header when the table has more than two columns (tbl cannot
--    fit the docs' wide tables into 80 columns).
--  * Inline code becomes raw roff in the constant-width font with optional
--    break points after , | / = and before --, so long JSON key lists and
--    paths wrap instead of overflowing the line.
--  * Links keep their text only (a docs/ file name means nothing in man).

local function roff_escape(s)
  s = s:gsub('\\', '\\e')
  s = s:gsub('%-', '\\-')
  s = s:gsub('%.', '\\&.')
  s = s:gsub("'", "\\(aq")
  s = s:gsub('"', '\\(dq')
  s = s:gsub('`', '\\(ga')
  s = s:gsub('~', '\\(ti')
  s = s:gsub('%^', '\\(ha')
  return s
end

function Code(el)
  local s = roff_escape(el.text)
  -- optional break points (\:) after separators
  s = s:gsub('([,|/=])', '%1\\:')
  return pandoc.RawInline('man', '\\f[CR]' .. s .. '\\f[R]')
end

-- Section headings in capitals, as man pages have them.
function Header(el)
  if el.level == 1 then
    return pandoc.walk_block(el, {
      Str = function(s) return pandoc.Str(s.text:upper()) end
    })
  end
end

function Link(el)
  return el.content
end

local function cell_blocks(cell)
  -- pandoc >= 2.10: a cell is a table with .contents (2.17: a Cell object)
  if cell.contents then return cell.contents end
  return cell
end

function Table(tbl)
  local heads = {}
  if tbl.head and tbl.head.rows and #tbl.head.rows > 0 then
    for i, c in ipairs(tbl.head.rows[1].cells) do
      heads[i] = pandoc.utils.stringify(cell_blocks(c))
    end
  end
  local items = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local cells = row.cells
      local term = pandoc.utils.stringify(cell_blocks(cells[1]))
      local term_inlines = {}
      for _, b in ipairs(cell_blocks(cells[1])) do
        if b.content then
          for _, x in ipairs(b.content) do table.insert(term_inlines, x) end
        end
      end
      if #term_inlines == 0 then term_inlines = { pandoc.Str(term) } end
      local defs = {}
      for i = 2, #cells do
        local blocks = cell_blocks(cells[i])
        local inl = {}
        if #cells > 2 and heads[i] and heads[i] ~= '' then
          table.insert(inl, pandoc.Emph({ pandoc.Str(heads[i] .. ':') }))
          table.insert(inl, pandoc.Space())
        end
        for _, b in ipairs(blocks) do
          if b.content then
            for _, x in ipairs(b.content) do table.insert(inl, x) end
          end
        end
        table.insert(defs, pandoc.Para(inl))
      end
      table.insert(items, { term_inlines, { defs } })
    end
  end
  return pandoc.DefinitionList(items)
end

-- Ragged right: lines with long code never need stretching. The NAME
-- line's dash is the "\-" that whatis and lintian expect.
function Pandoc(doc)
  for i, b in ipairs(doc.blocks) do
    if b.t == 'Header' and pandoc.utils.stringify(b):upper() == 'NAME'
        and doc.blocks[i + 1] and doc.blocks[i + 1].t == 'Para' then
      doc.blocks[i + 1] = pandoc.walk_block(doc.blocks[i + 1], {
        Str = function(s)
          if s.text == '—' then return pandoc.RawInline('man', '\\-') end
        end
      })
      break
    end
  end
  table.insert(doc.blocks, 1, pandoc.RawBlock('man', '.na'))
  return doc
end
