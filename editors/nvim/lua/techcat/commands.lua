-- User commands. Fixes and queueing go through the code actions the server offers; runs, logging and "fix all"
-- through the commands it advertises (workspace/executeCommand, see techcat_lsp/commands_api.py), so Neovim
-- does nothing the server would not do for any other editor.
local compat = require('techcat.compat')

local M = {}

local function current_client()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = compat.clients(bufnr)[1] or compat.clients(nil)[1]
  if client == nil then
    vim.notify('TechCat: no TechCat language server is running; open a file inside a .codex/ folder',
      vim.log.levels.WARN)
  end
  return client, bufnr
end

--- The workspace argument the server commands take: the current file if it is inside `.codex/`, else the root.
local function workspace_of(client, bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name:match('/%.codex/') then
    return name
  end
  return client.config.root_dir and (client.config.root_dir .. '/.codex') or nil
end

--- Run a command the server advertises. Its outcome arrives as a message from the server (window/showMessage);
--- errors of the request itself are reported here.
function M.execute(command, spec)
  local client, bufnr = current_client()
  if client == nil then
    return
  end
  spec = spec or {}
  if spec.workspace == nil and spec.uri == nil then
    spec.workspace = workspace_of(client, bufnr)
  end
  compat.request(client, 'workspace/executeCommand', { command = command, arguments = { spec } },
    function(err, result)
      if err then
        compat.notify('TechCat: ' .. command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      elseif type(result) == 'table' and result.ok == false and result.message and result.message ~= '' then
        compat.notify('TechCat: ' .. result.message, vim.log.levels.WARN)
      end
    end, bufnr)
end

local function define(name, fn, opts)
  vim.api.nvim_create_user_command(name, fn, opts or {})
end

local function action_titled(title)
  if vim.fn.has('nvim-0.8') == 1 then
    vim.lsp.buf.code_action({ filter = function(action) return action.title == title end, apply = true })
  else
    compat.code_action(nil, false) -- 0.7: the menu, with the action among the choices
  end
end

function M.define()
  define('TechcatRun', function(args)
    local agent, task = args.args:match('^(%S+)%s*(.*)$')
    if agent == nil then
      vim.notify('TechCat: usage: :TechcatRun {agent} [task]', vim.log.levels.ERROR)
      return
    end
    M.execute('techcat.runAgent', { agent = agent, task = task ~= '' and task or nil })
  end, { nargs = '+', desc = 'TechCat: run an agent; without a task, pick one of its proposals' })
  define('TechcatCancel', function()
    M.execute('techcat.cancelRun', {})
  end, { desc = 'TechCat: cancel the agent runs in flight' })
  define('TechcatLogFromGit', function(args)
    M.execute('techcat.logFromGit', { summary = args.args ~= '' and args.args or nil })
  end, { nargs = '*', desc = 'TechCat: log the uncommitted git changes as a task' })
  define('TechcatQueue', function()
    action_titled('Queue')
  end, { desc = 'TechCat: queue the PROPOSED-TASKS item under the cursor' })
  define('TechcatFix', function()
    compat.code_action({ 'quickfix' }, false)
  end, { desc = 'TechCat: the quick fixes for the diagnostics at the cursor' })
  define('TechcatFixAll', function()
    M.execute('techcat.fixAll', { uri = vim.uri_from_bufnr(vim.api.nvim_get_current_buf()) })
  end, { desc = 'TechCat: apply every safe fix in this file' })
  define('TechcatActions', function()
    compat.code_action(nil, false)
  end, { desc = 'TechCat: all actions here (run, queue, log from git, fixes)' })
  define('TechcatRestart', function()
    local old = compat.clients(nil)
    for _, client in ipairs(old) do
      compat.stop(client)
    end
    -- Once every old server has exited, let the FileType hooks (setup()'s or vim.lsp.enable's) start a new one.
    -- Firing them earlier would find the stopping client still there and reuse it; a slow machine may take
    -- seconds to end a server, so poll rather than guess a delay (give up waiting after 10 s).
    local function restart()
      for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
        if vim.api.nvim_buf_is_loaded(bufnr) and vim.api.nvim_buf_get_name(bufnr):match('/%.codex/') then
          vim.api.nvim_exec_autocmds('FileType', { buffer = bufnr, modeline = false })
        end
      end
    end
    local deadline = vim.loop.now() + 10000
    local function when_gone()
      local alive = false
      for _, client in ipairs(old) do
        if vim.lsp.get_client_by_id(client.id) ~= nil then
          alive = true
        end
      end
      if alive and vim.loop.now() < deadline then
        vim.defer_fn(when_gone, 100)
      else
        restart()
      end
    end
    vim.defer_fn(when_gone, 100)
  end, { desc = 'TechCat: restart the language server' })
  define('TechcatInfo', function()
    local lines = {}
    for _, client in ipairs(compat.clients(nil)) do
      local caps = client.server_capabilities or client.resolved_capabilities or {}
      local commands = caps.executeCommandProvider and caps.executeCommandProvider.commands or {}
      table.insert(lines, string.format('techcat #%d root=%s encoding=%s commands=%s', client.id,
        tostring(client.config.root_dir), tostring(client.offset_encoding), table.concat(commands, ', ')))
    end
    print(#lines > 0 and table.concat(lines, '\n') or 'TechCat: no language server running')
  end, { desc = 'TechCat: the running server, its root and commands' })
end

return M
