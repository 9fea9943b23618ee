-- User commands. Fixes go through the code actions the server offers; runs and logging through the commands it
-- advertises (workspace/executeCommand), so Neovim does nothing the server would not do for any other editor.
local compat = require('techcat.compat')

local M = {}

local function first_client()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = compat.clients(bufnr)[1] or compat.clients(nil)[1]
  if client == nil then
    vim.notify('TechCat: no TechCat language server is running; open a file inside a .codex/ folder',
      vim.log.levels.WARN)
  end
  return client, bufnr
end

--- Run a command the server advertises and report its answer.
function M.execute(command, arguments)
  local client, bufnr = first_client()
  if client == nil then
    return
  end
  compat.request(client, 'workspace/executeCommand', { command = command, arguments = arguments },
    function(err, result)
      if err then
        compat.notify('TechCat: ' .. command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      elseif type(result) == 'string' and result ~= '' then
        compat.notify(result)
      end
    end, bufnr)
end

local function define(name, fn, opts)
  vim.api.nvim_create_user_command(name, fn, opts or {})
end

function M.define()
  define('TechcatFix', function()
    compat.code_action({ 'quickfix' }, false)
  end, { desc = 'TechCat: the quick fixes for the diagnostics at the cursor' })
  define('TechcatFixAll', function()
    compat.code_action({ 'source.fixAll' }, true)
  end, { desc = 'TechCat: apply every safe fix in this file' })
  define('TechcatActions', function()
    compat.code_action(nil, false)
  end, { desc = 'TechCat: all actions here (run, queue, log from git, fixes)' })
  define('TechcatRestart', function()
    for _, client in ipairs(compat.clients(nil)) do
      compat.stop(client)
    end
    vim.defer_fn(function()
      vim.cmd('edit')
    end, 500)
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
