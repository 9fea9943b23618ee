-- Drives headless Neovim like a person would: open the broken task log, wait for the TechCat server's diagnostics,
-- hover a spot, open the code-action menu, pick a fix. Everything read back is what Neovim itself holds or shows
-- (its diagnostic store, the hover float's lines, the code-action menu's items, the buffer text), written as JSON
-- to the file the test named. Any Lua error is caught and reported, so headless Neovim never waits forever.
local cfg = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv('TECHCAT_NVIM_TEST')), '\n'))
local v = vim.version()
local result = { version = { v.major, v.minor, v.patch }, steps = {} }

local function step(name)
  table.insert(result.steps, name)
end

local function clients(bufnr)
  local found = {}
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  for _, client in ipairs(all) do
    if client.name == 'techcat' and vim.lsp.buf_is_attached(bufnr, client.id) then
      table.insert(found, client)
    end
  end
  return found
end

local function wait(what, timeout_ms, predicate)
  if not vim.wait(timeout_ms, predicate, 50) then
    error('timed out after ' .. timeout_ms .. ' ms waiting for ' .. what)
  end
end

local function floating_windows()
  local wins = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      table.insert(wins, win)
    end
  end
  return wins
end

local function diagnostics(bufnr)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(list, { code = d.code, lnum = d.lnum, col = d.col, message = d.message, severity = d.severity,
                         source = d.source })
  end
  table.sort(list, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and tostring(a.code) < tostring(b.code))
  end)
  return list
end

local function has_code(bufnr, code)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == code then
      return true
    end
  end
  return false
end

-- Whether `list` (as `diagnostics` gives it) has exactly the distinct (code, line) pairs of `wanted`.
local function shows_exactly(list, wanted)
  local seen, distinct = {}, 0
  for _, d in ipairs(list) do
    local key = tostring(d.code) .. '@' .. d.lnum
    if not seen[key] then
      seen[key] = true
      distinct = distinct + 1
    end
  end
  for _, pair in ipairs(wanted) do
    if not seen[pair[1] .. '@' .. pair[2]] then
      return false
    end
  end
  return distinct == #wanted
end

local function run()
  vim.opt.runtimepath:prepend(cfg.plugin_dir)
  if cfg.mode == 'lsp_config' then
    -- Neovim 0.11+: lsp/techcat.lua from the runtimepath; only the command is the test's own.
    vim.lsp.config('techcat', { cmd = cfg.cmd })
    vim.lsp.enable('techcat')
  else
    require('techcat').setup({ cmd = cfg.cmd })
  end
  step('configured')

  vim.cmd('edit ' .. vim.fn.fnameescape(cfg.file))
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype
  wait('the TechCat client to attach', 20000, function()
    return #clients(bufnr) > 0
  end)
  local client = clients(bufnr)[1]
  result.offset_encoding = client.offset_encoding
  result.commands = vim.fn.exists(':TechcatFix') == 2 and 'defined' or 'missing'
  step('attached')

  wait(#cfg.expect_codes .. ' diagnostics', 30000, function()
    for _, code in ipairs(cfg.expect_codes) do
      if not has_code(bufnr, code) then
        return false
      end
    end
    return true
  end)
  -- Not a pause for a late publish: wait until the buffer holds exactly what `techcat check` reports.
  wait('the diagnostics `techcat check` reports (code and line)', 30000, function()
    result.diagnostics = diagnostics(bufnr)
    return shows_exactly(result.diagnostics, cfg.expect_shown)
  end)
  step('diagnostics')

  -- Hover: the float Neovim opens, read line by line.
  vim.api.nvim_win_set_cursor(0, { cfg.hover.line + 1, cfg.hover.col })
  vim.lsp.buf.hover()
  wait('the hover window', 15000, function()
    return #floating_windows() > 0
  end)
  local float = floating_windows()[1]
  result.hover = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(float), 0, -1, false)
  vim.api.nvim_win_close(float, true)
  step('hover')

  -- Code actions: the menu Neovim offers (vim.ui.select), then the fix the test names is picked.
  vim.api.nvim_win_set_cursor(0, { cfg.action.line + 1, cfg.action.col })
  local menu = nil
  vim.ui.select = function(items, opts, on_choice)
    menu = {}
    local chosen, chosen_index = nil, nil
    for i, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      table.insert(menu, title)
      if chosen == nil and title:find(cfg.action.pick, 1, true) then
        chosen, chosen_index = item, i
      end
    end
    on_choice(chosen, chosen_index)
  end
  vim.lsp.buf.code_action()
  wait('the code-action menu', 15000, function()
    return menu ~= nil
  end)
  result.code_actions = menu
  step('code actions')

  wait('the fix to clear ' .. cfg.action.clears, 15000, function()
    return not has_code(bufnr, cfg.action.clears)
  end)
  result.fixed_line = vim.api.nvim_buf_get_lines(bufnr, cfg.action.line, cfg.action.line + 1, false)[1]
  result.diagnostics_after_fix = diagnostics(bufnr)
  step('fixed')

  -- An agent run through the plugin's user command; its result is the server's message, its entry lands in the
  -- log on disk, and Neovim reloads the (saved) buffer.
  vim.cmd('write')
  vim.cmd('TechcatRun ' .. cfg.run.agent .. ' ' .. cfg.run.task)
  wait('the message that the run finished', 60000, function()
    return vim.fn.execute('messages'):find(cfg.run.expect, 1, true) ~= nil
  end)
  result.run_message = vim.fn.execute('messages')
  result.progress = require('techcat.progress').shown
  vim.cmd('checktime')
  result.log_after_run = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  step('ran')

  -- :TechcatFixAll applies the remaining safe fix (the misspelled key) through the server's workspace edit.
  vim.cmd('TechcatFixAll')
  wait('the safe fixes to clear TC106 (and leave TC401)', 15000, function()
    return not has_code(bufnr, 'TC106') and has_code(bufnr, 'TC401')
  end)
  result.after_fix_all = diagnostics(bufnr)
  step('fixed all')

  -- :TechcatRestart starts a new server, which attaches to the buffer and publishes its diagnostics again.
  local before = clients(bufnr)[1].id
  vim.cmd('TechcatRestart')
  wait('a new server after :TechcatRestart', 15000, function()
    local now = clients(bufnr)[1]
    return now ~= nil and now.id ~= before
  end)
  wait('diagnostics from the new server', 15000, function()
    return has_code(bufnr, 'TC401')
  end)
  step('restarted')
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  result.error = tostring(err)
  result.messages = vim.fn.execute('messages')
end
vim.fn.writefile({ vim.fn.json_encode(result) }, cfg.out)
vim.cmd('qall!')
