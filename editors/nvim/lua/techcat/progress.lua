-- Echo the server's work-done progress (an agent run streaming, a file written) in the command line, so a run
-- started with :TechcatRun or a code action is visible while it works. Its result arrives as a message.
-- Each agent of a chain has its own progress (its own token and title); a report carries no title, so the
-- title is remembered per token. The server's titles already say "TechCat: <agent>": no second prefix.
local M = {}

M.shown = {} -- the last lines echoed, newest last (for :TechcatInfo and the editor tests)
local titles = {}
local KEEP = 50

local function line(title, message)
  title = title or ''
  if title:sub(1, #'TechCat') ~= 'TechCat' then
    title = 'TechCat: ' .. title
  end
  return title .. ((message and message ~= '') and (' — ' .. message) or '')
end

local function echo(title, message)
  local text = line(title, message)
  table.insert(M.shown, text)
  if #M.shown > KEEP then
    table.remove(M.shown, 1)
  end
  vim.api.nvim_echo({ { text:sub(1, math.max(vim.o.columns - 12, 20)), 'ModeMsg' } }, false, {})
end

M.line = line

function M.enable()
  local group = vim.api.nvim_create_augroup('techcat_progress', { clear = true })
  if vim.fn.has('nvim-0.10') == 1 then
    vim.api.nvim_create_autocmd('LspProgress', {
      group = group,
      callback = function(args)
        local client = vim.lsp.get_client_by_id(args.data.client_id)
        local params = args.data.params or {}
        local value = params.value
        if not (client and client.name == 'techcat' and type(value) == 'table') then
          return
        end
        local token = tostring(params.token)
        if value.kind == 'begin' then
          titles[token] = value.title
        end
        echo(titles[token] or value.title, value.message)
        if value.kind == 'end' then
          titles[token] = nil
        end
      end,
    })
  else
    vim.api.nvim_create_autocmd('User', {
      group = group,
      pattern = 'LspProgressUpdate',
      callback = function()
        for _, progress in ipairs(vim.lsp.util.get_progress_messages()) do
          if progress.name == 'techcat' then
            echo(progress.title, progress.message)
          end
        end
      end,
    })
  end
end

return M
