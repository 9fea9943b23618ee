-- Echo the server's work-done progress (an agent run streaming, a file written) in the command line, so a run
-- started with :TechcatRun or a code action is visible while it works. Its result arrives as a message.
local M = {}

local function echo(title, message)
  local text = 'TechCat: ' .. (title or '') .. ((message and message ~= '') and (' — ' .. message) or '')
  vim.api.nvim_echo({ { text:sub(1, math.max(vim.o.columns - 12, 20)), 'ModeMsg' } }, false, {})
end

function M.enable()
  local group = vim.api.nvim_create_augroup('techcat_progress', { clear = true })
  if vim.fn.has('nvim-0.10') == 1 then
    vim.api.nvim_create_autocmd('LspProgress', {
      group = group,
      callback = function(args)
        local client = vim.lsp.get_client_by_id(args.data.client_id)
        local value = args.data.params and args.data.params.value
        if client and client.name == 'techcat' and type(value) == 'table' then
          echo(value.title, value.message)
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
