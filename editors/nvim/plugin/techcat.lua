-- With editors/nvim on 'runtimepath' the user commands and progress messages exist even for a Neovim 0.11
-- set-up that only calls vim.lsp.enable('techcat'); setup() defines them too.
if vim.g.loaded_techcat then
  return
end
vim.g.loaded_techcat = true
if vim.api.nvim_create_user_command then -- 0.7+
  require('techcat.commands').define()
  require('techcat.progress').enable()
end
