-- The few LSP client calls whose shape changed between Neovim 0.7 and 0.11, in one place.
local M = {}

M.has_lsp_config = vim.lsp.config ~= nil and vim.lsp.enable ~= nil -- 0.11+
M.has_lsp_start = vim.lsp.start ~= nil -- 0.8+

--- Running TechCat clients, optionally only those attached to a buffer.
---@param bufnr integer|nil
function M.clients(bufnr)
  local found = {}
  local all = vim.lsp.get_clients and vim.lsp.get_clients({ name = 'techcat' }) or vim.lsp.get_active_clients()
  for _, client in ipairs(all) do
    if client.name == 'techcat' and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, client.id)) then
      table.insert(found, client)
    end
  end
  return found
end

--- client:request in 0.11 (method call), client.request before it.
function M.request(client, method, params, handler, bufnr)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.stop(client)
  if vim.fn.has('nvim-0.11') == 1 then
    client:stop()
  else
    client.stop()
  end
end

--- Code actions at the cursor, limited to some kinds; `apply` picks the only match without asking (0.8+).
function M.code_action(only, apply)
  local context = { only = only, diagnostics = {} }
  if vim.fn.has('nvim-0.8') == 1 then
    vim.lsp.buf.code_action({ context = context, apply = apply })
  else
    context.diagnostics = vim.lsp.diagnostic.get_line_diagnostics()
    vim.lsp.buf.code_action(context)
  end
end

--- vim.notify from a callback (LSP handlers may run where the UI cannot be touched directly).
function M.notify(message, level)
  vim.schedule(function()
    vim.notify(message, level or vim.log.levels.INFO, { title = 'TechCat' })
  end)
end

return M
